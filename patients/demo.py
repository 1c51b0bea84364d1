import datetime as dt
import random

from django.utils import timezone

from patients.intake import IntakeConsents, patient_register
from patients.models import Concern

FIRST = ["Amelia", "Olivia", "Isla", "Ava", "Mia", "Sophie", "Grace", "Chloe", "Emily", "Lily", "Hannah", "Ruby",
         "Ella", "Zoe", "Priya", "Aisha", "Mei", "Yuki", "Nadia", "Clara", "Laura", "Helen", "Sarah", "Kate",
         "Joanna", "Fiona", "Daniel", "James", "Marcus", "Leo"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright", "Evans",
        "Thomas", "Roberts", "Walker", "Khan", "Chen", "Lewis", "Hill", "Clarke", "Hall", "Young", "King", "Green",
        "Baker", "Adams", "Turner", "Ward", "Moore", "Cooper", "Kelly"]


def load(ctx: dict) -> None:
    rng = random.Random(2026)  # the same demo clinic every time
    concerns = list(Concern.objects.filter(active=True))
    front_desk = ctx["users"]["frontdesk"]
    today = timezone.localdate()
    patients = []
    for i in range(30):
        first, last = FIRST[i], LAST[i]
        chosen = rng.sample(concerns, k=rng.randint(1, 3))
        screening = {
            "pregnant_or_trying": i in (3, 17),
            "bleeding_risk": i in (5, 22),
            "medications": "Warfarin 5 mg" if i == 5 else ("Aspirin 75 mg" if i == 22 else ""),
            "active_skin_infection": i == 11,
            "fainting_history": i in (8, 25),
            "keloid_scarring": i == 14,
            "severe_migraines": i == 19,
            "botox_on": today - dt.timedelta(days=6) if i == 9 else None,
            "botox_areas": ["forehead", "glabella"] if i == 9 else [],
            "filler_on": today - dt.timedelta(days=10) if i == 9 else None,
            "filler_areas": ["nasolabial"] if i == 9 else [],
            "metal_allergy": i == 2,
            "allergies": "Nickel" if i == 2 else "",
        }
        patient = patient_register(
            by=front_desk,
            demographics={
                "first_name": first,
                "last_name": last,
                "date_of_birth": dt.date(1960 + rng.randint(0, 40), rng.randint(1, 12), rng.randint(1, 28)),
                "sex": "male" if first in ("Daniel", "James", "Marcus", "Leo") else "female",
                "email": f"{first.lower()}.{last.lower()}@example.com",
                "phone": f"+44 7700 9{i:05d}",
                "preferred_contact": "email",
                "emergency_contact_name": f"{rng.choice(FIRST)} {last}",
                "emergency_contact_phone": f"+44 7700 8{i:05d}",
                "goals": rng.choice(["Softer lines before a wedding", "Brighter skin", "Less puffy mornings",
                                     "Firmer jawline", "Look rested", ""]),
                "reminder_consent": i % 7 != 0,
            },
            screening=screening,
            concerns={concern: rng.randint(3, 9) for concern in chosen},
            consents=IntakeConsents(treatment=True, photos=i % 3 != 0),
        )
        patients.append(patient)
    ctx["patients"] = patients
