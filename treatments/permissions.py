from staff.roles import ACUPUNCTURIST, CLINIC_ADMIN, FRONT_DESK

# Front desk and the clinic admin may only see that a plan exists (SPEC §1: no plan details).
_STATUS_ONLY = ["treatments.view_plan_status"]
# Session records (and with them notes, outcomes and the today list) and photos: clinical, so
# acupuncturists only. The clinic admin manages the clinic, not patients' treatment (SPEC §1).
_SESSIONS = [
    "treatments.view_sessionrecord",
    "treatments.add_sessionrecord",
    "treatments.view_sessionphoto",
    "treatments.add_sessionphoto",
]

ROLE_PERMISSIONS = {
    FRONT_DESK: _STATUS_ONLY,
    ACUPUNCTURIST: [
        *_STATUS_ONLY,
        "treatments.view_plan",
        "treatments.add_plan",
        "treatments.view_plantemplate",
        "treatments.add_plantemplate",
        *_SESSIONS,
    ],
    # The catalogue and the plan settings are edited in the Django admin.
    CLINIC_ADMIN: [
        *_STATUS_ONLY,
        *(
            f"treatments.{action}_{model}"
            for model in ("point", "needlingpattern", "adjunct", "concerntarget")
            for action in ("view", "add", "change")
        ),
        "treatments.delete_concerntarget",
        "treatments.view_plansettings",
        "treatments.change_plansettings",
    ],
}
