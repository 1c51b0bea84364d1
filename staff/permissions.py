from staff.roles import CLINIC_ADMIN

ROLE_PERMISSIONS = {
    CLINIC_ADMIN: [
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.view_group",
        "staff.view_auditevent",
        # Login lockouts (django-axes): see them, and release one by deleting its attempt row.
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
    ],
}
