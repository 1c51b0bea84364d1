from django.contrib.auth.models import Group, User

from staff.roles import ACUPUNCTURIST, CLINIC_ADMIN, FRONT_DESK

# (username, first name, last name, role, password)
DEMO_STAFF = [
    ("admin", "Alex", "Morgan", CLINIC_ADMIN, "demo-admin-2026"),
    ("frontdesk", "Fran", "Desai", FRONT_DESK, "demo-desk-2026"),
    ("lin", "Lin", "Zhao", ACUPUNCTURIST, "demo-acu-2026"),
    ("sara", "Sara", "Okafor", ACUPUNCTURIST, "demo-acu-2026"),
    ("tom", "Tom", "Hughes", ACUPUNCTURIST, "demo-acu-2026"),
]


def load(ctx: dict) -> None:
    ctx["users"] = {}
    for username, first, last, role, password in DEMO_STAFF:
        user = User.objects.create_user(
            username=username,
            password=password,
            first_name=first,
            last_name=last,
            email=f"{username}@acuclinic.example",
            is_staff=role == CLINIC_ADMIN,
        )
        user.groups.add(Group.objects.get(name=role))
        ctx["users"][username] = user
        ctx["logins"].append((role, username, password))
    ctx["acupuncturists"] = [ctx["users"][name] for name in ("lin", "sara", "tom")]
