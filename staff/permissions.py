from staff.roles import CLINIC_ADMIN

ROLE_PERMISSIONS = {
    CLINIC_ADMIN: [
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.view_group",
        "auth.change_group",
        "staff.view_auditevent",
    ],
}
