"""AugMix (Keras 3): mixes an image with ``num_chains`` chains of up to ``chain_depth``
random augmentations (Dirichlet(alpha) chain weights, Beta(alpha, alpha) mixing with the
original), clipped to ``value_range``. Identity at inference."""
from __future__ import annotations

import ember
from ember.keras.layers.preprocessing.image_base import pair
from ember.keras.layers.preprocessing.image_color import (
    AutoContrast, Equalization, RandomBrightness, RandomColorDegeneration, RandomContrast,
    RandomPosterization, RandomSharpness, Solarization, _ColorLayer,
)
from ember.keras.layers.preprocessing.image_geometric import (
    RandomRotation, RandomShear, RandomTranslation,
)

__all__ = ["AugMix"]


class AugMix(_ColorLayer):
    """AugMix: each chain applies ``chain_depth`` steps, each step one operation picked at
    random per image (or none) among shear, translation, rotation, posterization,
    solarization, auto-contrast, equalization and, with ``all_ops``, brightness, color
    degeneration, contrast and sharpness, of strength ``factor``."""

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(None, value_range, data_format, seed, **kwargs)
        self.factor = factor
        lo, hi = pair(factor, "factor", "AugMix", False, 0.0, 1.0)
        self.num_chains, self.chain_depth = int(num_chains), int(chain_depth)
        if self.num_chains < 1 or self.chain_depth < 1:
            raise ValueError(f"AugMix: `num_chains` and `chain_depth` must be >= 1. "
                             f"Received: num_chains={num_chains}, chain_depth={chain_depth}")
        self.alpha, self.all_ops = float(alpha), bool(all_ops)
        self.interpolation = interpolation
        vr, f = self.value_range, (lo, hi)
        ops = [RandomShear(f, f, interpolation=interpolation, seed=seed),
               RandomTranslation(f, f, interpolation=interpolation, seed=seed),
               RandomRotation(f, interpolation=interpolation, seed=seed),
               RandomPosterization(max(1, int(8 * hi)), vr, seed=seed),
               Solarization(f, f, vr, seed=seed), AutoContrast(vr), Equalization(vr)]
        if self.all_ops:
            ops += [RandomBrightness(f, vr, seed=seed), RandomColorDegeneration(f, vr, seed=seed),
                    RandomContrast(f, vr, seed=seed), RandomSharpness(f, vr, seed=seed)]
        self._augment_layers = ops

    def _step(self, x):
        """One chain step: per image, one of the operations or none."""
        outs = ember.stack([x] + [op.augment(x) for op in self._augment_layers], 1)
        k = float(len(self._augment_layers) + 1)
        pick = ember.cast(ember.floor(self.uniform(x, 0.0, k - 1e-3)), "int32")
        return ember.gather_nd(outs, ember.stack([ember.range(ember.shape(x)[0]), pick], 1))

    def augment(self, x):
        g = ember.random.gamma([self.num_chains], self.alpha, seed=self.seed)
        weights = g / ember.reduce_sum(g)
        a = ember.random.gamma([], self.alpha, seed=self.seed)
        b = ember.random.gamma([], self.alpha, seed=self.seed)
        mix = a / (a + b)
        mixed = ember.zeros_like(x)
        for c in range(self.num_chains):
            y = x
            for _ in range(self.chain_depth):
                y = self._step(y)
            mixed = mixed + y * ember.cast(weights[c], x.dtype)
        mix = ember.cast(mix, x.dtype)
        return self.clip(mix * x + (1.0 - mix) * mixed)

    def get_config(self):
        config = super().get_config()
        config.update({"num_chains": self.num_chains, "chain_depth": self.chain_depth,
                       "factor": self.factor, "alpha": self.alpha, "all_ops": self.all_ops,
                       "interpolation": self.interpolation})
        return config
