from staff.roles import ACUPUNCTURIST, CLINIC_ADMIN, FRONT_DESK

_INTAKE = [
    "patients.view_patient",
    "patients.add_patient",
    "patients.change_patient",
    "patients.view_screening",
    "patients.add_screening",
    "patients.view_patientconcern",
    "patients.view_consent",
    "patients.add_consent",
]

ROLE_PERMISSIONS = {
    FRONT_DESK: _INTAKE,
    # Acupuncturists read the record and record a new screening at the visit (SPEC §3).
    ACUPUNCTURIST: [
        "patients.view_patient",
        "patients.view_screening",
        "patients.add_screening",
        "patients.view_patientconcern",
        "patients.view_consent",
        "patients.add_consent",
    ],
    CLINIC_ADMIN: [
        *_INTAKE,
        "patients.add_concern",
        "patients.change_concern",
        "patients.view_concern",
        # Data rights (patients.rights): the clinic admin's alone.
        "patients.export_patient_data",
        "patients.anonymise_patient",
    ],
}
