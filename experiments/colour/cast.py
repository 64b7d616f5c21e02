"""Which form of colour correction, fitted on one split, helps another? Error-free, nearest codewords.

    python experiments/colour/cast.py ../shared/data FIT APPLY MODEL...     (numbers: results/training/README.md)

For each MODEL (its colour calibration set aside) the forms are fitted on the FIT split's tiles and scored on the
APPLY split: the RGB offset that ``vqdeepsc calibrate`` folds into the decoder (the mean of decoded - original); a
gain and offset per channel and a 3x3 RGB matrix plus offset (least squares); an offset, or a 3x3 matrix plus
offset, on the decoder's output logits before the sigmoid (mean squared or absolute error, L-BFGS on 2 million
random pixels).
"""

import sys

import torch

from vqdeepsc.data import load_images
from vqdeepsc.metrics import ciede2000, ms_ssim, psnr, ssim
from vqdeepsc.zoo import resolve_model


@torch.no_grad()
def logits(model, x):
    """The decoder's output before its sigmoid, [B, 3, H, W]."""
    out = []
    hook = model.decoder.to_image[0].register_forward_hook(lambda module, inputs, output: out.append(output))
    try:
        for b in x.split(32):
            model.decode(model.encode(b))
    finally:
        hook.remove()
    return torch.cat(out)


def pixels(x):
    return x.transpose(0, 1).reshape(3, -1)


def rgb_least_squares(y, x, mixing):
    """(M [3, 3], c [3]) minimising ||M y + c - x||^2 over pixels; diagonal M unless ``mixing``."""
    y, x = pixels(y).double(), pixels(x).double()
    if mixing:
        a = torch.cat([y, torch.ones_like(y[:1])]).T
        solution = torch.linalg.lstsq(a, x.T).solution
        return solution[:3].T.float(), solution[3].float()
    gains, offsets = [], []
    for c in range(3):
        g, o = torch.linalg.lstsq(torch.stack([y[c], torch.ones_like(y[c])], 1), x[c, :, None]).solution.flatten()
        gains.append(g), offsets.append(o)
    return torch.diag(torch.stack(gains)).float(), torch.stack(offsets).float()


def logit_fit(z, x, mixing, loss):
    """(M, c) minimising the mean ``loss`` of sigmoid(M z + c) - x over 2 million random pixels."""
    z, x = pixels(z), pixels(x)
    pick = torch.randperm(z.shape[1], generator=torch.Generator().manual_seed(0))[:2_000_000]
    z, x = z[:, pick], x[:, pick]
    m, c = torch.eye(3, requires_grad=mixing), torch.zeros(3, 1, requires_grad=True)
    opt = torch.optim.LBFGS([c, m] if mixing else [c], max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        e = torch.sigmoid(m @ z + c) - x
        value = e.pow(2).mean() if loss == "mse" else e.abs().mean()
        value.backward()
        return value

    opt.step(closure)
    return m.detach(), c.detach().flatten()


def affine(m, c, y):
    return torch.einsum("op,bphw->bohw", m, y) + c.view(1, 3, 1, 1)


def main():
    data, fit_split, apply_split, *names = sys.argv[1:]
    fit, _ = load_images(data, fit_split)
    test, _ = load_images(data, apply_split)
    for name in names:
        model = resolve_model(name)[0]
        model.decoder.colour_cast.zero_()
        z_fit, z = logits(model, fit), logits(model, test)
        y_fit, y = torch.sigmoid(z_fit), torch.sigmoid(z)
        cast = (y_fit - fit).double().mean((0, 2, 3)).float()  # = colour_cast(model, fit), without decoding again
        forms = {"as decoded": y, "minus the RGB offset (vqdeepsc calibrate)": y - cast.view(1, 3, 1, 1)}
        for mixing, label in ((False, "RGB gain and offset per channel"), (True, "RGB 3x3 matrix and offset")):
            forms[label] = affine(*rgb_least_squares(y_fit, fit, mixing), y)
        for mixing in (False, True):
            for loss in ("mse", "l1"):
                label = f"logit {'3x3 matrix and offset' if mixing else 'offset'}, {loss}"
                forms[label] = torch.sigmoid(affine(*logit_fit(z_fit, fit, mixing, loss), z))
        print(f"{name}: fitted on {fit_split}, scored on {apply_split}; the {fit_split} RGB offset of 255: "
              f"{(cast * 255).numpy().round(2)}")
        for label, out in forms.items():
            out = out.clamp(0, 1)
            print(f"  {label:44s} SSIM {ssim(out, test).mean():.4f}  MS-SSIM {ms_ssim(out, test).mean():.4f}  "
                  f"PSNR {psnr(out, test).mean():.2f}  CIEDE2000 {ciede2000(out, test).mean():.2f}", flush=True)


if __name__ == "__main__":
    main()
