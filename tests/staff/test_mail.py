from staff.mail import sender_domain


def test_the_sender_domain_comes_from_the_from_address(settings):
    settings.DEFAULT_FROM_EMAIL = "Lin & Tom's Clinic <desk@lin-tom.example>"
    assert sender_domain() == "lin-tom.example"


def test_a_from_address_without_a_domain_gets_a_reserved_one(settings):
    settings.DEFAULT_FROM_EMAIL = "reception"
    assert sender_domain() == "acuclinic.invalid"
