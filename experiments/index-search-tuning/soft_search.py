"""Variant (run on `small-4-sixth/`; results/training/index-search/tuning/): the index search over per-position
logits of the codewords (straight-through softmax) instead of the encoder's features; the logits start at the
nearest codewords (-squared distances, normalised)."""
import torch
import torch.nn.functional as F
from vqdeepsc.index_search import IndexSearch


class SoftSearch(IndexSearch):
    def _variables(self, model, image):
        with torch.no_grad():
            features = model.encoder(image)
            logits = []
            for space, l in zip(model.embedding_spaces, model.preset.transmitted):
                d = ((features[l].permute(0, 2, 3, 1)[..., None, :] - space.codewords()) ** 2).sum(-1)  # [1,H,W,N]
                d = d - d.min(-1, keepdim=True).values
                logits.append((-d / (d.mean() + 1e-8)).requires_grad_(True))
        return logits

    def _quantized(self, model, variables):
        indices, received = [], []
        for space, a in zip(model.embedding_spaces, variables):
            p, i = a.softmax(-1), a.argmax(-1)
            indices.append(i)
            received.append(space.expected(F.one_hot(i, a.shape[-1]).to(p) + p - p.detach()))
        return indices, received
