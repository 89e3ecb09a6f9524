"""Dense graph convolutions (Kipf and Welling 2017): H' = sigma(A_hat H W), A_hat = D~^-1/2 (A + I) D~^-1/2."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from uvadl2019.checks import check_fraction, check_whole
from uvadl2019.memory import check_large


def check_adjacency(A):
    """A must be a tensor (N, N) or (B, N, N) of finite, non-negative weights; else a ValueError that says so."""
    if not isinstance(A, torch.Tensor):
        raise TypeError(f"adjacency A must be a tensor, got {type(A).__name__}")
    if A.dim() not in (2, 3) or A.size(-1) != A.size(-2):
        raise ValueError(f"adjacency A must be square, (N, N) or (B, N, N), got shape {tuple(A.shape)}")
    if A.is_floating_point() and not torch.isfinite(A).all():
        raise ValueError("adjacency A holds NaN or infinite weights; give finite edge weights")
    if (A < 0).any():
        raise ValueError("adjacency A has negative edge weights; GCN normalisation needs weights >= 0")


def normalize_adjacency(A, add_self_loops=True, mode="symmetric"):
    """A_hat = D~^-1/2 A~ D~^-1/2 (eq. 15), A~ = A + I (eq. 16), D~_ii = sum_j A~_ij (eq. 17).

    mode="row" gives D~^-1 A~ instead (row normalisation, as in pygcn). Works on (N, N) and on
    (B, N, N); a node without edges (degree 0) gets a zero row instead of a division by zero.
    """
    check_adjacency(A)
    if mode not in ("symmetric", "row"):
        raise ValueError(f"mode must be 'symmetric' or 'row', got {mode!r}")
    if not A.is_floating_point():  # 0/1 or integer edge weights, as given most naturally
        A = A.to(torch.get_default_dtype())
    if add_self_loops:
        A = A + torch.eye(A.size(-1), dtype=A.dtype, device=A.device)
    degree = A.sum(dim=-1)  # (..., N)
    power = -0.5 if mode == "symmetric" else -1.0
    inv = torch.where(degree > 0, degree.clamp(min=torch.finfo(A.dtype).tiny) ** power, torch.zeros_like(degree))
    if mode == "row":
        return inv.unsqueeze(-1) * A
    return inv.unsqueeze(-1) * A * inv.unsqueeze(-2)


class GCNLayer(nn.Module):
    """One graph convolution H' = A_hat H W (+ b) on a dense, already normalised adjacency."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        check_whole(1, in_features=in_features, out_features=out_features)
        check_large(torch.device("cpu"), in_features * out_features * 4 * 4, in_features=in_features,
                   out_features=out_features)
        self.in_features, self.out_features = in_features, out_features
        bound = math.sqrt(6.0 / (in_features + out_features))  # Glorot, as Kipf and Welling
        self.W = nn.Parameter(torch.empty(in_features, out_features).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.zeros(out_features)) if bias else None

    def forward(self, H, A_hat):
        """H (N, in) or (B, N, in), A_hat (N, N) or (B, N, N) -> (…, N, out)."""
        if H.size(-2) != A_hat.size(-1):
            raise ValueError(f"the features have {H.size(-2)} nodes but the adjacency has {A_hat.size(-1)}")
        out = A_hat @ (H @ self.W)  # multiply by W first: the cheaper order when out < in
        return out + self.b if self.b is not None else out

    def __repr__(self):
        return f"GCNLayer({self.in_features} -> {self.out_features}, bias={self.b is not None})"


class GCN(nn.Module):
    """Stacked GCNLayers with a non-linearity and dropout between them (none after the last)."""

    def __init__(self, sizes, dropout=0.5, activation=F.relu):
        super().__init__()
        if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
            raise ValueError(f"sizes must list the input and output features at least, got {sizes}")
        check_whole(1, **{f"sizes[{k}]": size for k, size in enumerate(sizes)})
        check_fraction(dropout=dropout)
        self.layers = nn.ModuleList(GCNLayer(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.dropout, self.activation = dropout, activation

    def forward(self, H, A_hat, return_hidden=False):
        """Output of the last layer; with return_hidden also the output of every hidden layer."""
        hidden = []
        for k, layer in enumerate(self.layers):
            H = layer(H, A_hat)
            if k < len(self.layers) - 1:
                H = self.activation(H)
                hidden.append(H)
                H = F.dropout(H, self.dropout, self.training)
        return (H, hidden) if return_hidden else H
