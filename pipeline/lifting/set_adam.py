"""AdamW whose state is kept per hypothesis set, so a batch of sets steps like separate fits.

Every parameter carries the set as its leading dimension. Adam is elementwise, so one set's
moments never see another's gradients; what a shared optimiser would still share is the step
count and the decision to skip a step. Here both are per set: a set whose loss or gradients
are not finite keeps its parameters and moments unchanged for that step while the others
move on, and the choice is made on the device (no host sync per step). With every set
finite the update is exactly ``torch.optim.AdamW``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ParamGroup:
    name: str
    param: torch.Tensor  # (N, ...) leaf tensor
    weight_decay: float = 0.0


class SetAdamW:
    def __init__(self, groups: list[ParamGroup], sets: int, betas=(0.9, 0.999), eps: float = 1e-8):
        self.groups = groups
        self.sets = int(sets)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self._m = {g.name: torch.zeros_like(g.param) for g in groups}
        self._v = {g.name: torch.zeros_like(g.param) for g in groups}
        dev = groups[0].param.device
        self._steps = {g.name: torch.zeros(self.sets, device=dev) for g in groups}

    @property
    def params(self) -> list[torch.Tensor]:
        return [g.param for g in self.groups]

    def zero_grad(self) -> None:
        for g in self.groups:
            g.param.grad = None

    def finite_sets(self, per_set_loss: torch.Tensor) -> torch.Tensor:
        """(N,) bool: the set's loss and every gradient entry of the set are finite."""
        ok = torch.isfinite(per_set_loss)
        for g in self.groups:
            if g.param.grad is not None:
                ok = ok & torch.isfinite(g.param.grad.reshape(self.sets, -1)).all(1)
        return ok

    @torch.no_grad()
    def step(self, lrs: dict[str, float], ok: torch.Tensor) -> None:
        """One AdamW step for the sets where ``ok``; groups without a gradient are left alone
        (their step count does not advance), as torch's optimisers do."""
        b1, b2 = self.beta1, self.beta2
        for g in self.groups:
            p = g.param
            if p.grad is None:
                continue
            lr = float(lrs.get(g.name, 0.0))
            shape = (self.sets,) + (1,) * (p.dim() - 1)
            okb = ok.reshape(shape)
            grad = torch.where(okb, p.grad, torch.zeros_like(p.grad))
            steps = self._steps[g.name] + ok.to(p.dtype)
            self._steps[g.name] = steps
            m = torch.where(okb, self._m[g.name] * b1 + grad * (1 - b1), self._m[g.name])
            v = torch.where(okb, self._v[g.name] * b2 + grad * grad * (1 - b2), self._v[g.name])
            self._m[g.name], self._v[g.name] = m, v
            s = steps.clamp(min=1.0).reshape(shape)
            step_size = lr / (1 - b1**s)
            denom = v.sqrt() / (1 - b2**s).sqrt() + self.eps
            new = p * (1 - lr * g.weight_decay) - step_size * m / denom
            p.copy_(torch.where(okb, new, p))
