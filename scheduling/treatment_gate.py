"""Whether a patient's latest screening blocks treatment, asked by front-desk code that may not
read clinical rules itself (scheduling never imports treatments).

The treatments app registers the answer (``treatments/booking_gate.py``, found by
``autodiscover_modules("booking_gate")`` in ``SchedulingConfig.ready``), the same way each app
registers its part of a patient's data in ``patients.rights``.
"""

from collections.abc import Callable

# patient id → why treatment is blocked (empty when it may go ahead)
_gates: list[Callable[[int], list[str]]] = []


def register(gate: Callable[[int], list[str]]) -> None:
    if gate not in _gates:
        _gates.append(gate)


def treatment_blocked(*, patient_id: int) -> list[str]:
    """Why the patient may not be booked for treatment without the clinic (empty: they may)."""
    return [reason for gate in _gates for reason in gate(patient_id)]
