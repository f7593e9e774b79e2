"""Torch engine (CUDA, or CPU for cross-checks): the same protocol, gradients by autograd.

Same steps as ``engine.run_many`` for one run: per query block, logits L = U V^T / T, evaluation
from L when due, loss / N backpropagated block by block (gradients accumulate), then
``torch.optim.Adam`` and renormalisation of every row. The loss is written from its textbook
formula (log_softmax, logsumexp, softplus), independently of the NumPy kernels' analytic gradients.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .._lazy import require
from ._relevance import blocks
from .config import FreeEmbeddingConfig
from .engine import EarlyStopping, Outcome
from .loss import normalizer


def _loss_sum(torch, L, flat, has, cfg: FreeEmbeddingConfig):
    if cfg.loss == "infonce-mean":
        return -torch.log_softmax(L, dim=1).reshape(-1)[flat].sum()
    if cfg.loss == "infonce-multi":
        mask = torch.zeros(L.numel(), dtype=torch.bool, device=L.device)
        mask[flat] = True
        pos = torch.where(mask.view_as(L), L, torch.full_like(L, -math.inf))
        return (torch.logsumexp(L, dim=1) - torch.logsumexp(pos, dim=1))[has].sum()
    x = L - cfg.sigmoid_bias / cfg.temperature
    return -torch.nn.functional.logsigmoid(-x).sum() - x.reshape(-1)[flat].sum()  # softplus, exact


def _evaluate(torch, L, flat, rowid, slot, counts, kmax):
    """(sum of hits/K over rows with K > 0, number of such rows, min gap): see ``accuracy``."""
    m = L.shape[0]
    if flat.numel() == 0:
        return 0.0, 0, math.inf
    S = L.detach().clone().reshape(-1)
    pos = S[flat]
    R = torch.full((m, kmax), -math.inf, dtype=S.dtype, device=S.device)
    R[rowid, slot] = pos
    R = torch.sort(R, dim=1, descending=True).values
    S[flat] = -math.inf
    S = S.view(m, -1)
    irr_max = S.max(dim=1).values
    hits = torch.zeros(m, dtype=torch.long, device=S.device)
    for h in range(kmax):
        c_h = (S >= R[:, h:h + 1]).sum(dim=1)
        hits += ((c_h <= counts - (h + 1)) & (counts > h)).long()
    has = counts > 0
    rel_min = R[torch.arange(m, device=S.device), (counts - 1).clamp(min=0)]
    gap = torch.where(has, rel_min - irr_max, torch.full_like(irr_max, math.inf))
    return float((hits[has] / counts[has]).sum()), int(has.sum()), float(gap.min())


def run_torch(n: int, indptr: np.ndarray, indices: np.ndarray, U0: np.ndarray, V0: np.ndarray, chunk: int,
              cfg: FreeEmbeddingConfig, device: str, progress: bool = False) -> Outcome:
    torch = require("torch")
    old_threads = torch.get_num_threads()
    if cfg.threads is not None and device == "cpu":
        torch.set_num_threads(cfg.threads)
    try:
        return _run(torch, n, indptr, indices, U0, V0, chunk, cfg, device, progress)
    finally:
        torch.set_num_threads(old_threads)


def _run(torch, n, indptr, indices, U0, V0, chunk, cfg, device, progress) -> Outcome:
    dev = torch.device(device)
    U = torch.tensor(U0, device=dev, requires_grad=True)
    V = torch.tensor(V0, device=dev, requires_grad=True)
    opt = torch.optim.Adam([U, V], lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.adam_eps)
    norm = normalizer(cfg.loss, np.diff(indptr), n)
    tau = cfg.temperature

    def put(a):
        return torch.as_tensor(a, device=dev)

    blks = [(a, b, put(blk.flat), put(blk.rowid), put(blk.slot), put(blk.counts), blk.kmax, put(blk.counts > 0))
            for a, b, blk in blocks(indptr, indices, n, chunk)]
    early = EarlyStopping(cfg.patience, cfg.min_delta)
    stopping, loss, best_acc = False, math.nan, 0.0
    started = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.max_steps, desc=f"n={n} (torch {device})", unit="step", leave=False, mininterval=0.5)
    t = 0
    while True:
        due = (t >= 1 and (t - 1) % cfg.eval_every == 0) or t == cfg.max_steps or stopping
        need_grad = not stopping and t < cfg.max_steps
        hits, rows, gap, total = 0.0, 0, math.inf, 0.0
        for a, b, flat, rowid, slot, counts, kmax, has in blks:
            with torch.set_grad_enabled(need_grad):
                L = U[a:b] @ V.T / tau
                if due:
                    h, r, g = _evaluate(torch, L, flat, rowid, slot, counts, kmax)
                    hits, rows, gap = hits + h, rows + r, min(gap, g)
                if need_grad:
                    part = _loss_sum(torch, L, flat, has, cfg) / norm
                    part.backward()
                    total += float(part.detach())
        if due:
            acc = hits / rows if rows else 1.0
            best_acc = max(best_acc, acc)
            margin = gap * tau
            solved = margin > 0 if cfg.margin == 0 else margin >= cfg.margin
            if bar is not None:
                bar.set_postfix_str(f"loss={loss:.4f} acc={acc:.4f}", refresh=False)
            if solved or stopping or t == cfg.max_steps:
                if bar is not None:
                    bar.close()
                reason = "solved" if solved else ("early_stop" if stopping else "max_steps")
                return Outcome(bool(solved), t, float(loss), best_acc, acc, float(margin), reason,
                               time.perf_counter() - started, U.detach().cpu().numpy().copy(),
                               V.detach().cpu().numpy().copy())
        loss = total
        t += 1
        opt.step()
        opt.zero_grad(set_to_none=False)
        with torch.no_grad():
            U /= U.norm(dim=1, keepdim=True)
            V /= V.norm(dim=1, keepdim=True)
        stopping = early.update(loss)
        if bar is not None and t % cfg.eval_every == 0:
            bar.update(cfg.eval_every)
