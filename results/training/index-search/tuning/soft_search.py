"""Variant: search over per-position logits of the codewords (straight-through softmax), start = nearest codewords."""
import torch
import torch.nn.functional as F
from vqdeepsc import index_search as ix


class SoftSearch(ix.IndexSearch):
    def _search(self, model, image):
        if self.steps == 0:
            with torch.no_grad():
                return model.encode(image)
        spaces = model.embedding_spaces
        with torch.no_grad():
            features = model.encoder(image)
            logits = []
            for space, l in zip(spaces, model.preset.transmitted):
                f = features[l].permute(0, 2, 3, 1)
                cw = space.codewords().detach()
                d = ((f[..., None, :] - cw) ** 2).sum(-1)  # [1,H,W,N]
                d = d - d.min(-1, keepdim=True).values
                logits.append((-d / (d.mean() + 1e-8)).clone())
        for a in logits:
            a.requires_grad_(True)
        optimizer = torch.optim.Adam(logits, lr=self.lr)
        best, best_indices = float("inf"), None
        for step in range(self.steps + 1):
            with torch.enable_grad():
                indices, received = [], []
                for space, a in zip(spaces, logits):
                    p = a.softmax(-1)
                    i = a.argmax(-1)
                    st = F.one_hot(i, a.shape[-1]).to(p) + p - p.detach()
                    indices.append(i)
                    received.append(space.expected(st))
                loss = ix.distortion(model.decode_features(received).float(), image.float()).sum()
            if loss.item() < best:
                best, best_indices = loss.item(), indices
            if step < self.steps:
                for a, g in zip(logits, torch.autograd.grad(loss, logits)):
                    a.grad = g
                optimizer.step()
        return [labels[i] for labels, i in zip(model.index_labels(), best_indices)]
