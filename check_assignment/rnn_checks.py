"""The checks of a student's VanillaRNN or LSTM (part 1), each a function of the loaded Student that returns
(status, message): interface, every weight learns, the equations, state and batch, initialisation, it learns."""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.func import functional_call

from check_assignment.equations import MODELS
from check_assignment.mapping import build, candidates, describe
from check_assignment.student import construct, parameters_of
from part1.dataset import train_and_test_data
from part1.lstm import LSTM
from part1.vanilla_rnn import VanillaRNN

REFERENCE = {"VanillaRNN": VanillaRNN, "LSTM": LSTM}
T, B, H, C = 5, 128, 128, 10  # the course's batch and hidden size, 10 digit classes, palindromes of 5 input digits
# The inputs the course's train.py may give: one-hot digits with input_dim 10, or raw digits with input_dim 1.
FORMS = {"one-hot (B, T, 10)": (10, lambda d: F.one_hot(d, 10).double()),
         "digits (B, T)": (1, lambda d: d.double()),
         "digits (B, T, 1)": (1, lambda d: d.double().unsqueeze(-1))}
TOLERANCE = {torch.float64: dict(rtol=1e-7, atol=1e-9), torch.float32: dict(rtol=1e-4, atol=1e-5)}
# The constructors' arguments of the 2019 templates, in order: fall's five, and spring's, with batch_size.
ORDERS = {5: ("seq_length", "input_dim", "num_hidden", "num_classes", "device"),
          6: ("seq_length", "input_dim", "num_hidden", "num_classes", "batch_size", "device")}
LEARN_STEPS, EVAL_EVERY, TARGET = 2000, 20, 0.99
XAVIER_RANGE = (0.25, 4.0)  # a weight's std this many times Xavier-normal's, or more or less, is named


@dataclass
class Student:
    """A student's model class, how to build and call it, and what the interface check found."""
    cls: type
    name: str  # VanillaRNN or LSTM
    seed: int
    form: str = None  # the input form that works, a key of FORMS

    def build(self, num_hidden=H, batch_size=B, device="cpu"):
        torch.manual_seed(self.seed)
        values = dict(seq_length=T, input_dim=FORMS[self.form][0], num_hidden=num_hidden, num_classes=C,
                      batch_size=batch_size, device=device)
        return construct(self.cls, values, ORDERS)

    def constructible(self):
        """Build the model once with the course's arguments (input_dim 1, its default); its template."""
        self.form = "digits (B, T)"
        try:
            self.build()
        finally:
            self.form = None
        template = "spring" if "batch_size" in [p.name for p in parameters_of(self.cls)] else "fall"
        return f"{self.name}, the {template} template's constructor"

    def inputs(self, digits, dtype=torch.float32):
        return FORMS[self.form][1](digits).to(dtype)


def palindromes(batch_size, seed, length=T):
    """(digits (B, T), targets (B,)) of palindromes with `length` input digits."""
    train, _ = train_and_test_data(length, seed, test_size=1)
    digits, targets = train.batch(batch_size)
    return digits.long(), targets


def logits_of(output, batch=B):
    """The logits in a forward's output on a batch of `batch`, however they came (the interface check names how):
    a tuple's first element; (C, batch) transposed back."""
    if isinstance(output, (tuple, list)):
        output = output[0]
    if output.dim() == 2 and output.shape == (C, batch) and batch != C:
        output = output.T
    return output


def check_interface(student):
    """forward on the course's batch gives logits (B, num_classes) for some input form."""
    digits, _ = palindromes(B, student.seed)
    errors = {}
    for form in FORMS:
        student.form = form
        try:
            out = student.build()(student.inputs(digits))
        except Exception as e:
            errors[form] = e
            continue
        if isinstance(out, (tuple, list)):
            return "fail", (f"forward returns a {type(out).__name__} of {len(out)}; the course's train.py takes its "
                            f"output as the logits: return p, shape ({B}, {C}), alone")
        if out.shape == (C, B):
            return "fail", f"forward returns ({C}, {B}), the logits transposed; return p as (B, num_classes)"
        if out.shape != (B, C):
            errors[form] = ValueError(f"forward returns shape {tuple(out.shape)}, expected ({B}, {C})")
            continue
        return "pass", f"{form} input gives logits ({B}, {C})"
    student.form = None
    raise next(iter(errors.values()))


def check_gradients(student):
    """After one backward of the cross-entropy of the logits, every parameter has a non-zero gradient."""
    model = student.build()
    parameters = dict(model.named_parameters())
    if not parameters:
        return "fail", "the model has no parameters: make the weights nn.Parameter attributes (or nn.Module layers)"
    digits, targets = palindromes(B, student.seed)
    F.cross_entropy(logits_of(model(student.inputs(digits))), targets).backward()
    none = [name for name, p in parameters.items() if p.grad is None]
    zero = [name for name, p in parameters.items() if p.grad is not None and not p.grad.any()]
    if none or zero:
        return "fail", "; ".join(part for part in (
            none and f"no gradient reaches {', '.join(none)} (used through .data, .detach() or a detached "
                     f"state, or not at all?)",
            zero and f"the gradient of {', '.join(zero)} is zero") if part)
    return "pass", f"all {len(parameters)} parameters get a gradient"


def check_equations(student):
    """Some mapping of the parameters onto the report's weights gives the student's logits and gradients with the
    package's reference model; else the nearest common variant that does."""
    equations, roles, variants, G = MODELS[student.name]
    model = student.build(batch_size=B)
    D = FORMS[student.form][0]
    names = [n for n, _ in model.named_parameters()]
    shapes = [tuple(p.shape) for _, p in model.named_parameters()]
    with torch.no_grad():  # fresh weights of a workable scale, whatever the student's initialisation
        generator = torch.Generator().manual_seed(student.seed)
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(p.shape[-1] if p.dim() > 1 else 4))
    digits, targets = palindromes(B, student.seed)
    dtype = torch.float64
    try:
        output = logits_of(model.double()(student.inputs(digits, dtype)))
    except Exception:  # a state of fixed dtype: compare in float32 (the check of state and batch names it)
        dtype = torch.float32
        output = logits_of(model.float()(student.inputs(digits, dtype)))
    logits = output.detach().double()
    x = student.inputs(digits, torch.float64).reshape(B, T, D).transpose(0, 1)
    tensors = [p.detach().double() for p in model.parameters()]
    shape_of = role_shapes(roles, D)

    def mapping_for(variant=None):  # the first mapping under which the equations give the student's logits
        return next((m for m in candidates(names, shapes, D, H, C, G)
                     if close(equations(x, build(m, tensors, shape_of), variant), logits, dtype)), None)

    found = mapping_for()
    if found:
        return verdict(student, model, output, found, names, digits, targets, dtype)
    meaning = next((meaning for variant, meaning in variants.items() if mapping_for(variant)), None)
    if meaning:
        return "fail", f"the logits follow a common variant, not the report's equations: {meaning}"
    return "fail", ("no mapping of the parameters onto the report's weights reproduces the logits, with the "
                    f"report's equations or any of {len(variants)} common variants; parameters: "
                    + ", ".join(f"{n} {tuple(s)}" for n, s in zip(names, shapes)))


def role_shapes(roles, D):
    return {role: (C,) if role == "b_p" else (C, H) if role == "W_ph" else (H,) if role.startswith("b_")
            else (H, D) if role.endswith("x") else (H, H) for role in roles}


def close(a, b, dtype):
    return a.shape == b.shape and torch.allclose(a, b, **TOLERANCE[dtype])


def verdict(student, model, output, roles, names, digits, targets, dtype):
    """Pass when the package's own reference model, with the mapped weights, also gives the gradients of the
    student's `output`; a fail names a missing bias."""
    missing = [role for role, pieces in roles.items() if not pieces]
    if missing:
        return "fail", (f"no bias {', '.join(missing)}: the report's equations add one "
                        f"({'to every gate' if student.name == 'LSTM' else 'to the hidden state'}); otherwise as "
                        "the report's")
    leaves = [p.detach().double().requires_grad_() for p in model.parameters()]
    reference = REFERENCE[student.name](T, FORMS[student.form][0], H, C, impl="reference").double()
    weights = build(roles, leaves, {})
    inputs = student.inputs(digits, torch.float64)
    F.cross_entropy(functional_call(reference, weights, (inputs,)), targets).backward()
    F.cross_entropy(output, targets).backward()
    differ = [name for name, p, leaf in zip(names, model.parameters(), leaves)
              if p.grad is not None and p.grad.any() and not close(p.grad.double(), leaf.grad, dtype)]
    if differ:
        return "fail", (f"the logits are the report's, but the gradients of {', '.join(differ)} are not: "
                        "does forward change a tensor in place, or a custom backward?")
    mapping = describe(roles, names)
    return "pass", f"the report's equations{', mapped ' + mapping if mapping else ', by the assignment names'}"


def check_state(student):
    """Two forwards before a backward agree; a sample's logits ignore the rest of its batch; batches of another
    size than the constructor's and the hidden size, and float64 input (and CUDA, where present) work."""
    digits, _ = palindromes(B, student.seed)
    model = student.build()
    first = logits_of(model(student.inputs(digits)))
    problems = []
    if not torch.allclose(logits_of(model(student.inputs(digits))), first, rtol=1e-5, atol=1e-6):
        problems.append("a second forward of the same batch gives other logits: is a state kept between calls?")
    others = digits.clone()
    others[1:] = palindromes(B, student.seed + 1)[0][1:]
    if not torch.allclose(logits_of(model(student.inputs(others)))[0], first[0], rtol=1e-5, atol=1e-6):
        problems.append("a sample's logits change with the other samples of its batch: are batch and time (or "
                        "hidden) dimensions mixed up in a view or reshape?")
    problems += attempt(lambda: logits_of(model(student.inputs(digits[:3])), 3), (3, C), first[:3],
                        "a batch of 3, not the constructor's batch_size")
    small = student.build(num_hidden=16)
    problems += attempt(lambda: logits_of(small(student.inputs(digits))), (B, C), None,
                        f"num_hidden 16 with a batch of {B}")
    problems += attempt(lambda: logits_of(model.double()(student.inputs(digits, torch.float64))), (B, C), None,
                        "float64 weights and input (a state made with a fixed dtype?)", torch.float64)
    if torch.cuda.is_available():
        on_gpu = student.build(device="cuda")
        problems += attempt(lambda: logits_of(on_gpu(student.inputs(digits).cuda())), (B, C), None,
                            "CUDA (a state made on a fixed device?)")
    return ("fail", "; ".join(problems)) if problems else \
        ("pass", "repeatable, per sample, any batch size, hidden size, dtype" +
         (" and device" if torch.cuda.is_available() else ""))


def attempt(forward, shape, expected, what, dtype=torch.float32):
    """[] when forward() gives logits of `shape` and `dtype` (close to `expected`, when given), else one problem."""
    try:
        out = forward()
    except Exception as e:
        return [f"{what} fails ({type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''})"]
    if tuple(out.shape) != shape or out.dtype != dtype:
        return [f"{what} gives {tuple(out.shape)} {out.dtype}, not {shape} {dtype}"]
    if expected is not None and not torch.allclose(out, expected, rtol=1e-5, atol=1e-6):
        return [f"{what} gives other logits than the same samples in the full batch"]
    return []


def check_initialisation(student):
    """No weight matrix starts constant, or with a scale far from the report's Xavier-normal (embeddings aside)."""
    notes = []
    model = student.build()
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    for name, p in model.named_parameters():
        if p.dim() < 2 or 1 in p.shape or id(p) in embeddings:  # a bias (also stored as a column), an embedding
            continue
        std = p.detach().double().std().item()
        xavier = math.sqrt(2.0 / (p.shape[0] + p.shape[1]))
        if std == 0:
            notes.append(f"{name} starts constant ({p.flatten()[0].item():g}): every hidden unit then learns alike")
        elif not XAVIER_RANGE[0] <= std / xavier <= XAVIER_RANGE[1]:
            notes.append(f"{name} starts with std {std:.3g}, {std / xavier:.2g} times Xavier-normal's {xavier:.3g}")
    return ("warn", "; ".join(notes)) if notes else ("pass", "every weight matrix near Xavier-normal's scale")


def check_learning(student):
    """With the course's settings the model reaches TARGET test accuracy on palindromes of T input digits within
    LEARN_STEPS steps; the package's own model's steps from the same seed beside it."""
    steps = steps_to_learn(student.build(), student)
    ours = steps_to_learn(REFERENCE[student.name](T, FORMS[student.form][0], H, C, impl="reference"), student)
    theirs = f"the package's {student.name}: {f'step {ours}' if ours else f'not within {LEARN_STEPS} steps'}"
    if steps is None:
        return "fail", f"test accuracy below {TARGET} after {LEARN_STEPS} steps ({theirs})"
    return "pass", f"test accuracy {TARGET} at step {steps} ({theirs})"


def steps_to_learn(model, student):
    """The first multiple of EVAL_EVERY steps at which test accuracy reaches TARGET, or None: RMSprop 1e-3, batch
    128, clipping at 10 after backward, as the course's train.py; the data seeded by the student's seed."""
    train, (test_digits, test_targets) = train_and_test_data(T, student.seed, test_size=1024)
    test_inputs = student.inputs(test_digits.long())
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    for step in range(1, LEARN_STEPS + 1):
        digits, targets = train.batch(B)
        optimizer.zero_grad()
        F.cross_entropy(logits_of(model(student.inputs(digits.long()))), targets).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10)
        optimizer.step()
        if step % EVAL_EVERY == 0:
            with torch.no_grad():  # in batches of B: a model may only take the constructor's batch size
                correct = sum((logits_of(model(test_inputs[i:i + B])).argmax(-1) == test_targets[i:i + B]).sum()
                              for i in range(0, len(test_targets), B))
            if correct.item() / len(test_targets) >= TARGET:
                return step
    return None


CHECKS = {"interface": check_interface, "every weight learns": check_gradients, "equations": check_equations,
          "state and batch": check_state, "initialisation": check_initialisation, "it learns": check_learning}
