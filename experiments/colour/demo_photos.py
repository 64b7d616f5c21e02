"""Error-free CIEDE2000, SSIM and PSNR of each of the demo's four photos for model files or shipped models.

    python experiments/colour/demo_photos.py small-4 runs/x/best.safetensors ...
"""

import sys

import torch

from vqdeepsc.data import embedded_photos
from vqdeepsc.metrics import ciede2000, psnr, ssim
from vqdeepsc.zoo import resolve_model

photos = embedded_photos(128)
x = torch.stack(list(photos.values()))
for spec in sys.argv[1:]:
    model = resolve_model(spec)[0]
    with torch.no_grad():
        y = model.decode(model.encode(x))
    per = ", ".join(f"{n} {d:.2f}" for n, d in zip(photos, ciede2000(y, x).tolist()))
    print(f"{spec}: CIEDE2000 {per} (mean {ciede2000(y, x).mean():.2f}); SSIM {ssim(y, x).mean():.4f}, "
          f"PSNR {psnr(y, x).mean():.2f} dB")
