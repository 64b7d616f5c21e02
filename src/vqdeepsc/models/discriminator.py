"""The PatchGAN discriminator of pix2pix (70x70 receptive field) used for adversarial training."""

from __future__ import annotations

from torch import Tensor, nn


class PatchDiscriminator(nn.Sequential):
    """conv4x4/s2 (c) + LeakyReLU, conv4x4/s2 (2c), conv4x4/s2 (4c), conv4x4/s1 (8c) each + BN + LeakyReLU,
    then conv4x4/s1 to one logit per 70x70 patch (pix2pix's ``n_layers=3`` PatchGAN).

    :param channels: width ``c`` of the first layer (pix2pix: 64).

    :input images: [B, 3, H, W], float in [0, 1].
    :output logits: [B, 1, H/8 - 2, W/8 - 2] (14 x 14 for 128 x 128), real-vs-fake logits per patch.
    """

    def __init__(self, channels: int = 64):
        c = channels
        layers = [nn.Conv2d(3, c, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        for c_in, c_out, stride in ((c, 2 * c, 2), (2 * c, 4 * c, 2), (4 * c, 8 * c, 1)):
            layers += [nn.Conv2d(c_in, c_out, 4, stride, 1, bias=False), nn.BatchNorm2d(c_out),
                       nn.LeakyReLU(0.2, inplace=True)]
        layers.append(nn.Conv2d(8 * c, 1, 4, 1, 1))
        super().__init__(*layers)

    def forward(self, images: Tensor) -> Tensor:
        return super().forward(images * 2 - 1)
