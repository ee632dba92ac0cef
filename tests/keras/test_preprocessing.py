"""Legacy preprocessing: pad_sequences and image utilities against real Keras 3
(tests/fixtures/preprocessing/expected.npz, made by make_preprocessing.py there), the
Tokenizer against hand computation, ImageDataGenerator's transforms against SciPy and
its batches against their definitions."""
import hashlib
import json
import math
import os

import numpy as np
import pytest

from ember import keras
from ember.keras.preprocessing import image, sequence, text

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "preprocessing")
REF = np.load(os.path.join(FIXTURES, "expected.npz"))

with open(os.path.join(FIXTURES, "cases.json")) as _f:
    CASES = json.load(_f)
PAD_CASES = CASES["pad"]


@pytest.mark.parametrize("name", sorted(PAD_CASES))
def test_pad_sequences_matches_keras(name):
    seqs, kw = PAD_CASES[name]
    got = sequence.pad_sequences(seqs, **kw)
    want = REF[f"pad.{name}"]
    if kw.get("dtype") in ("object", "<U3"):
        assert got.astype(str).tolist() == want.tolist()
    else:
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert keras.utils.pad_sequences is sequence.pad_sequences


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="Padding type"):
        sequence.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="non-iterable"):
        sequence.pad_sequences([1, 2])
    with pytest.raises(ValueError, match="dtype=object"):
        sequence.pad_sequences([["a"]], value="x")


# ----------------------------------------------------------------------- Tokenizer ---

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "cat cat dog"]


def test_tokenizer_vocabulary_by_frequency():
    t = text.Tokenizer()
    t.fit_on_texts(TEXTS)
    assert list(t.word_counts.items()) == [("the", 3), ("cat", 3), ("sat", 1), ("on", 1),
                                           ("mat", 1), ("dog", 2), ("ate", 1), ("my", 1),
                                           ("homework", 1)]
    assert t.word_index == {"the": 1, "cat": 2, "dog": 3, "sat": 4, "on": 5, "mat": 6,
                            "ate": 7, "my": 8, "homework": 9}
    assert t.index_word[3] == "dog" and t.document_count == 3
    assert t.word_docs["the"] == 2 and t.index_docs[2] == 2
    assert t.texts_to_sequences(["the cat barked", "Dog!"]) == [[1, 2], [3]]
    assert t.sequences_to_texts([[1, 2, 3, 42]]) == ["the cat dog"]


def test_tokenizer_num_words_and_oov():
    t = text.Tokenizer(num_words=4, oov_token="<OOV>")
    t.fit_on_texts(TEXTS)
    assert t.word_index["<OOV>"] == 1 and t.word_index["the"] == 2
    # indices >= num_words become the OOV index, like unknown words
    assert t.texts_to_sequences(["the cat dog barked"]) == [[2, 3, 1, 1]]
    assert t.sequences_to_texts([[2, 3, 4, 9]]) == ["the cat <OOV> <OOV>"]
    plain = text.Tokenizer(num_words=3)
    plain.fit_on_texts(TEXTS)
    assert plain.texts_to_sequences(["the cat dog barked"]) == [[1, 2]]


def test_texts_to_matrix_modes():
    t = text.Tokenizer()
    t.fit_on_texts(TEXTS)
    docs = ["the the cat", "zebra"]
    binary = t.texts_to_matrix(docs, mode="binary")
    assert binary.shape == (2, 10) and binary.dtype == np.float64
    assert binary[0].tolist() == [0, 1, 1] + [0] * 7 and not binary[1].any()
    assert t.texts_to_matrix(docs, mode="count")[0, :3].tolist() == [0, 2, 1]
    np.testing.assert_allclose(t.texts_to_matrix(docs, mode="freq")[0, :3], [0, 2 / 3, 1 / 3])
    tfidf = t.texts_to_matrix(docs, mode="tfidf")
    np.testing.assert_allclose(tfidf[0, 1], (1 + math.log(2)) * math.log(1 + 3 / (1 + 2)))
    np.testing.assert_allclose(tfidf[0, 2], 1 * math.log(1 + 3 / (1 + 2)))
    with pytest.raises(ValueError, match="vectorization mode"):
        t.texts_to_matrix(docs, mode="onehot")
    with pytest.raises(ValueError, match="fit on some"):
        text.Tokenizer().texts_to_matrix(docs)


def test_char_level_filters_split_and_sequences():
    t = text.Tokenizer(char_level=True)
    t.fit_on_texts(["abca", "Ab"])
    assert t.word_index == {"a": 1, "b": 2, "c": 3}
    assert t.texts_to_sequences(["cab!"]) == [[3, 1, 2]]
    t2 = text.Tokenizer(filters="", lower=False, split=",")
    t2.fit_on_texts(["x,Y,x", "z"])
    assert t2.word_index == {"x": 1, "Y": 2, "z": 3}
    t3 = text.Tokenizer(num_words=5)
    t3.fit_on_sequences([[1, 2, 2], [2, 3]])
    assert t3.document_count == 2 and dict(t3.index_docs) == {1: 1, 2: 2, 3: 1}


def test_tokenizer_json_round_trip():
    t = text.Tokenizer(num_words=6, oov_token="?")
    t.fit_on_texts(TEXTS)
    data = t.to_json()
    assert json.loads(data)["class_name"] == "Tokenizer"
    back = text.tokenizer_from_json(data)
    assert back.word_index == t.word_index and back.index_word == t.index_word
    assert back.texts_to_sequences(TEXTS) == t.texts_to_sequences(TEXTS)
    np.testing.assert_array_equal(back.texts_to_matrix(TEXTS, "tfidf"),
                                  t.texts_to_matrix(TEXTS, "tfidf"))


def test_word_sequences_and_hashing():
    assert text.text_to_word_sequence("Hello, World!  again") == ["hello", "world", "again"]
    assert text.text_to_word_sequence("a-b c", filters="", split="-") == ["a", "b c"]
    got = text.hashing_trick("The cat the", 10, hash_function="md5")
    want = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 9 + 1 for w in ["the", "cat", "the"]]
    assert got == want
    oh = text.one_hot("dog cat dog", 50)
    assert oh[0] == oh[2] and all(1 <= i < 50 for i in oh)


# --------------------------------------------------------------------- image utils ---

def test_load_img_and_arrays_match_keras():
    pytest.importorskip("PIL")
    path = os.path.join(FIXTURES, "image.png")
    for name, kw in CASES["load"].items():
        got = keras.utils.img_to_array(keras.utils.load_img(path, **kw))
        want = REF[f"load.{name}"]
        assert got.dtype == want.dtype == np.float32 and got.shape == want.shape, name
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(
        image.img_to_array(image.load_img(path), data_format="channels_first"),
        REF["load.channels_first"])
    src = REF["a2i.src"]
    np.testing.assert_array_equal(np.asarray(keras.utils.array_to_img(src)), REF["a2i.scaled"])
    np.testing.assert_array_equal(np.asarray(image.array_to_img(np.abs(src) * 40, scale=False)),
                                  REF["a2i.unscaled"])
    np.testing.assert_array_equal(np.asarray(image.array_to_img(src[..., :1])), REF["a2i.gray"])
    np.testing.assert_allclose(image.smart_resize(REF["smart.src"], (4, 4)), REF["smart.out"],
                               rtol=1e-5, atol=1e-6)


def test_save_img_round_trip(tmp_path):
    pytest.importorskip("PIL")
    x = np.random.default_rng(0).integers(0, 256, (6, 5, 3)).astype(np.float32)
    path = tmp_path / "out.png"
    keras.utils.save_img(str(path), x, scale=False)
    np.testing.assert_array_equal(keras.utils.img_to_array(keras.utils.load_img(str(path))), x)
    assert os.listdir(tmp_path) == ["out.png"]       # no temporary file left behind
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        keras.utils.save_img(str(tmp_path / "out.jpg"), np.concatenate([x, x[..., :1]], -1))
    assert keras.utils.load_img(str(tmp_path / "out.jpg")).size == (5, 6)
    with pytest.raises(ValueError, match="rank 3"):
        keras.utils.array_to_img(np.zeros((2, 2)))


# ------------------------------------------------------------ ImageDataGenerator ---

def test_affine_transform_matches_scipy():
    nd = pytest.importorskip("scipy.ndimage")
    x = np.random.default_rng(0).uniform(0, 1, (9, 7, 2))

    def reference(theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, mode="nearest", order=1):
        t, s = np.deg2rad(theta), np.deg2rad(shear)
        m = (np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
             @ np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
             @ np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
             @ np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
        m = image.apply_affine_transform.__globals__["transform_matrix_offset_center"](m, 9, 7)
        m[:, [0, 1]] = m[:, [1, 0]]
        m[[0, 1]] = m[[1, 0]]
        return np.stack([nd.affine_transform(x[..., c], m[:2, :2], m[:2, 2], order=order,
                                             mode=mode, cval=0.5) for c in range(2)], -1)

    for mode in ("nearest", "constant", "reflect", "wrap"):
        for order in (0, 1):
            for kw in (dict(theta=33), dict(tx=1.5, ty=-2.2), dict(shear=20),
                       dict(zx=0.7, zy=1.3), dict(theta=170, tx=1, zx=2.5, zy=0.8, shear=10)):
                got = image.apply_affine_transform(x, row_axis=0, col_axis=1, channel_axis=2,
                                                   fill_mode=mode, cval=0.5, order=order, **kw)
                np.testing.assert_allclose(got, reference(mode=mode, order=order, **kw),
                                           atol=1e-9, err_msg=f"{mode} {order} {kw}")


def _images(n=6, size=8, channels=3, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, size, size, channels)).astype(
        np.float32)


def test_flow_is_seeded_and_covers_every_sample_each_epoch():
    x = _images(7)
    y = np.arange(7)
    gen = image.ImageDataGenerator(rotation_range=30, width_shift_range=0.2, zoom_range=0.2,
                                   horizontal_flip=True)
    a = [b for _, b in (gen.flow(x, y, batch_size=3, seed=4)[i] for i in range(3))]
    b = [b for _, b in (gen.flow(x, y, batch_size=3, seed=4)[i] for i in range(3))]
    assert [v.tolist() for v in a] == [v.tolist() for v in b]
    assert sorted(np.concatenate(a).tolist()) == list(range(7))
    it1, it2 = gen.flow(x, y, batch_size=3, seed=4), gen.flow(x, y, batch_size=3, seed=4)
    for _ in range(4):
        (x1, y1), (x2, y2) = next(it1), next(it2)
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    other = next(gen.flow(x, y, batch_size=7, seed=5))[0]
    assert not np.allclose(other, next(gen.flow(x, y, batch_size=7, seed=4))[0])
    state = np.random.get_state()[1].copy()
    next(gen.flow(x, y, seed=1))
    np.testing.assert_array_equal(np.random.get_state()[1], state)   # global RNG untouched


def test_flips_shifts_and_rescale():
    x = _images(4)
    flips = image.ImageDataGenerator(horizontal_flip=True, rescale=0.5)
    out, idx = next(flips.flow(x, np.arange(4), batch_size=4, shuffle=False, seed=0))
    for o, i in zip(out, idx):
        assert np.allclose(o, x[i] * 0.5) or np.allclose(o, x[i][:, ::-1] * 0.5)
    shift = image.ImageDataGenerator(width_shift_range=[2], fill_mode="constant", cval=-1.0)
    # Keras's parameter ty (drawn from width_shift_range) moves rows, tx moves columns;
    # whole pixels move, the uncovered ones are filled with cval
    moved = shift.apply_transform(x[0], {"ty": 2})
    np.testing.assert_allclose(moved[:-2], x[0][2:], atol=1e-4)
    assert (moved[-2:] == -1.0).all()
    moved = shift.apply_transform(x[0], {"tx": -1})
    np.testing.assert_allclose(moved[:, 1:], x[0][:, :-1], atol=1e-4)
    assert (moved[:, :1] == -1.0).all()


def test_featurewise_and_samplewise_normalization():
    x = _images(20, size=4) / 255 * np.array([1, 2, 3], np.float32) + np.array([0, 5, -3],
                                                                                 np.float32)
    gen = image.ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    gen.fit(x)
    np.testing.assert_allclose(gen.mean.reshape(-1), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    out = next(gen.flow(x, batch_size=20, shuffle=False))
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-3)
    sample = image.ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True)
    one = sample.standardize(x[0].copy())
    assert abs(one.mean()) < 1e-5 and abs(one.std() - 1) < 1e-3
    pre = image.ImageDataGenerator(preprocessing_function=lambda im: im * 0 + 7)
    assert (next(pre.flow(x, batch_size=2)) == 7).all()
    with pytest.warns(UserWarning, match="fit"):
        image.ImageDataGenerator(featurewise_center=True).standardize(x[0].copy())


def test_zca_whitening_decorrelates():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((400, 4))
    mixed = base @ np.array([[1, 0.8, 0, 0], [0, 1, 0.5, 0], [0, 0, 1, 0.3], [0, 0, 0, 1]])
    x = mixed.reshape(400, 2, 2, 1).astype(np.float32)
    with pytest.warns(UserWarning, match="overrides"):
        gen = image.ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-8)
    gen.fit(x)
    white = gen.standardize(x.copy()).reshape(400, 4)
    np.testing.assert_allclose(np.cov(white.T, bias=True), np.eye(4), atol=0.02)


def test_validation_split_subsets():
    x = _images(10)
    y = np.array([0, 1] * 5)
    gen = image.ImageDataGenerator(validation_split=0.2)
    assert gen.flow(x, y, subset="validation", batch_size=10).n == 2
    train = gen.flow(x, y, subset="training", batch_size=10, shuffle=False)
    np.testing.assert_array_equal(next(train)[0], x[2:])
    with pytest.raises(ValueError, match="different number of classes"):
        gen.flow(x, np.array([0] * 2 + [1] * 8), subset="validation")
    with pytest.raises(ValueError, match="validation_split"):
        image.ImageDataGenerator(validation_split=1.5)


def _image_tree(root, counts, size=(6, 9)):
    rng = np.random.default_rng(0)
    for cls, n in counts.items():
        os.makedirs(root / cls, exist_ok=True)
        for i in range(n):
            keras.utils.save_img(str(root / cls / f"im{i}.png"),
                                 rng.integers(0, 256, size + (3,)).astype(np.float32),
                                 scale=False)
    (root / "cats" / "notes.txt").write_text("not an image")


def test_flow_from_directory(tmp_path, capsys):
    pytest.importorskip("PIL")
    _image_tree(tmp_path, {"cats": 3, "dogs": 2})
    gen = image.ImageDataGenerator(rescale=1 / 255)
    it = gen.flow_from_directory(str(tmp_path), target_size=(4, 5), batch_size=5,
                                 shuffle=False)
    assert "Found 5 images belonging to 2 classes." in capsys.readouterr().out
    assert it.class_indices == {"cats": 0, "dogs": 1}
    assert it.classes.tolist() == [0, 0, 0, 1, 1]
    assert it.filenames[0] == os.path.join("cats", "im0.png")
    x, y = next(it)
    assert x.shape == (5, 4, 5, 3) and y.tolist() == [[1, 0]] * 3 + [[0, 1]] * 2
    want = keras.utils.img_to_array(keras.utils.load_img(
        str(tmp_path / "dogs" / "im1.png"), target_size=(4, 5))) / 255
    np.testing.assert_allclose(x[4], want, rtol=1e-6)
    assert 0 <= x.min() and x.max() <= 1
    sparse = gen.flow_from_directory(str(tmp_path), target_size=(4, 5), class_mode="sparse",
                                     color_mode="grayscale", shuffle=False)
    xs, ys = sparse[0]
    assert xs.shape == (5, 4, 5, 1) and ys.tolist() == [0, 0, 0, 1, 1]
    split = image.ImageDataGenerator(validation_split=0.5)
    val = split.flow_from_directory(str(tmp_path), target_size=(4, 5), subset="validation")
    assert val.samples == 2 and val.classes.tolist() == [0, 1]
    assert split.flow_from_directory(str(tmp_path), target_size=(4, 5),
                                     subset="training").samples == 3


def test_brightness_and_channel_shift_stay_in_range():
    pytest.importorskip("PIL")
    x = _images(3)
    gen = image.ImageDataGenerator(brightness_range=(0.5, 0.9), channel_shift_range=20.0)
    out = next(gen.flow(x, batch_size=3, seed=2))
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 255
    assert out.mean() < x.mean()


# -------------------------------------------- legacy Keras (keras.src.legacy) outputs ---

with open(os.path.join(FIXTURES, "tokenizer.json")) as _f:
    TOKENIZER_REF = json.load(_f)
TOKENIZER_KW = {"plain": {}, "oov": {"num_words": 4, "oov_token": "<OOV>"},
                "limited": {"num_words": 3}, "chars": {"char_level": True}}


def _parsed(tokenizer_json):
    """to_json's document with its JSON-in-JSON vocabulary fields parsed (their key order
    follows set iteration, which differs between processes)."""
    doc = json.loads(tokenizer_json)
    for k, v in doc["config"].items():
        if k in ("word_counts", "word_docs", "index_docs", "index_word", "word_index"):
            doc["config"][k] = json.loads(v)
    return doc


@pytest.mark.parametrize("name", sorted(TOKENIZER_KW))
def test_tokenizer_matches_keras(name):
    ref = TOKENIZER_REF[name]
    t = text.Tokenizer(**TOKENIZER_KW[name])
    t.fit_on_texts(TEXTS)
    docs = ["the the cat", "zebra dog!", "Cat"]
    assert t.word_index == ref["word_index"]
    assert [list(p) for p in t.word_counts.items()] == ref["word_counts"]
    assert t.texts_to_sequences(docs) == ref["sequences"]
    assert t.sequences_to_texts([[1, 2, 3, 4, 9, 42]]) == ref["texts"]
    for mode, want in ref["matrices"].items():
        np.testing.assert_allclose(t.texts_to_matrix(docs, mode=mode), want, rtol=1e-12)
    assert _parsed(t.to_json()) == _parsed(ref["json"])
    keras_made = text.tokenizer_from_json(ref["json"])
    assert keras_made.texts_to_sequences(docs) == ref["sequences"]


def test_text_helpers_match_keras():
    assert text.text_to_word_sequence("Hello, World!  it's-me") == TOKENIZER_REF["word_seq"]
    assert text.hashing_trick("The cat the dog", 17, hash_function="md5") == \
        TOKENIZER_REF["md5"]


def test_image_data_generator_matches_keras():
    x, y = REF["gen.x"], np.arange(5)
    a = image.ImageDataGenerator(rotation_range=30, width_shift_range=0.2,
                                 height_shift_range=0.1, shear_range=10, zoom_range=0.2,
                                 horizontal_flip=True, vertical_flip=True, fill_mode="reflect")
    it = a.flow(x, y, batch_size=3, seed=7)
    for k in (0, 1):
        bx, by = it[k]
        np.testing.assert_array_equal(by, REF[f"gen.a.item{k}.y"])
        np.testing.assert_allclose(bx, REF[f"gen.a.item{k}.x"], rtol=1e-5, atol=1e-3)
    it = a.flow(x, y, batch_size=3, seed=7)
    for k in range(3):
        bx, by = next(it)
        np.testing.assert_array_equal(by, REF[f"gen.a.next{k}.y"])
        np.testing.assert_allclose(bx, REF[f"gen.a.next{k}.x"], rtol=1e-5, atol=1e-3)
    b = image.ImageDataGenerator(width_shift_range=2, height_shift_range=[1, 2],
                                 fill_mode="constant", cval=-1.0)
    bx, by = next(b.flow(x, y, batch_size=5, seed=3))
    np.testing.assert_array_equal(by, REF["gen.b.y"])
    np.testing.assert_allclose(bx, REF["gen.b.x"], rtol=1e-5, atol=1e-3)
    c = image.ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True,
                                 rescale=1 / 255)
    c.fit(x)
    np.testing.assert_allclose(c.mean, REF["gen.c.mean"], rtol=1e-5)
    np.testing.assert_allclose(c.std, REF["gen.c.std"], rtol=1e-5)
    np.testing.assert_allclose(next(c.flow(x, batch_size=5, shuffle=False)), REF["gen.c.x"],
                               rtol=1e-4, atol=1e-5)
    with pytest.warns(UserWarning, match="zca_whitening"):
        e = image.ImageDataGenerator(zca_whitening=True)
    e.fit(x[:, :2, :2, :1])
    np.testing.assert_allclose(e.zca_whitening_matrix, REF["gen.e.zca"], rtol=1e-4, atol=1e-6)
    f = image.ImageDataGenerator(featurewise_center=True, rotation_range=90, zoom_range=0.3)
    f.fit(x, augment=True, rounds=2, seed=3)
    np.testing.assert_allclose(f.mean, REF["gen.f.mean"], rtol=1e-5)


def test_image_data_generator_brightness_matches_keras():
    pytest.importorskip("PIL")
    d = image.ImageDataGenerator(channel_shift_range=30.0, brightness_range=(0.5, 1.5),
                                 fill_mode="wrap", rotation_range=45)
    np.testing.assert_allclose(next(d.flow(REF["gen.x"], batch_size=5, seed=1)),
                               REF["gen.d.x"], rtol=1e-5, atol=1e-3)


def test_save_to_dir_writes_the_augmented_images(tmp_path):
    pytest.importorskip("PIL")
    x = _images(3)
    gen = image.ImageDataGenerator()
    next(gen.flow(x, batch_size=3, shuffle=False, seed=0, save_to_dir=str(tmp_path),
                  save_prefix="aug"))
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 3 and all(n.startswith("aug_") and n.endswith(".png") for n in names)
    back = keras.utils.img_to_array(keras.utils.load_img(str(tmp_path / names[0])))
    assert back.shape == (8, 8, 3)


@pytest.mark.parametrize("module", ["ember.keras.preprocessing.text",
                                    "ember.keras.preprocessing.sequence",
                                    "ember.keras.preprocessing.image",
                                    "ember.keras.preprocessing.image_transforms",
                                    "ember.keras.utils.sequence_utils",
                                    "ember.keras.utils.image_utils"])
def test_docstring_examples(module):
    import doctest
    import importlib

    import ember
    pytest.importorskip("PIL")
    mod = importlib.import_module(module)
    globs = {k: getattr(mod, k) for k in dir(mod) if not k.startswith("__")}
    result = doctest.testmod(mod, extraglobs={"ember": ember, "np": np, **globs},
                             verbose=False,
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_skipgrams_sampling_table_and_timeseries_match_keras():
    import random
    ref = TOKENIZER_REF["sequence"]
    np.testing.assert_allclose(sequence.make_sampling_table(10), ref["table"], rtol=1e-12)
    seq = [1, 2, 3, 0, 4, 5, 1, 2]
    state = random.getstate()
    try:
        random.seed(0)
        assert [list(x) for x in sequence.skipgrams(seq, 6, window_size=2, seed=5)] == \
            ref["skip"]
        random.seed(1)
        assert [list(x) for x in sequence.skipgrams(seq, 6, window_size=1, negative_samples=0.5,
                                                    categorical=True, seed=3)] == ref["skip_cat"]
        random.seed(2)
        assert [list(x) for x in sequence.skipgrams(
            seq, 6, sampling_table=[1, 0.9, 0.5, 0.1, 1, 1], shuffle=False)] == \
            ref["skip_table"]
    finally:
        random.setstate(state)
    gen = sequence.TimeseriesGenerator(np.arange(50).reshape(25, 2), np.arange(25), length=4,
                                       sampling_rate=2, stride=3, start_index=1, end_index=20,
                                       batch_size=3, reverse=True)
    assert len(gen) == ref["ts_len"]
    assert [[b.tolist() for b in gen[i]] for i in range(len(gen))] == ref["ts"]
    with pytest.raises(ValueError, match="same length"):
        sequence.TimeseriesGenerator(np.zeros(3), np.zeros(2), length=1)
