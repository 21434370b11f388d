"""A clinic group's sites: the calendar shows one site at a time, and Outcomes counts a site's patients
(those with an appointment at one of its rooms)."""

from datetime import datetime, timedelta
from datetime import time as clock_time

from django.urls import reverse
from django.utils import timezone

from assessments.outcomes import clinic_outcomes
from assessments.tests.test_outcomes import reference_outcomes, varied_clinic
from sessions.models import Appointment, Room, Site
from testing.factories import PatientFactory, appointment_type


def at(day, hour):
    return timezone.make_aware(datetime.combine(day, clock_time(hour)))


def seen_at(room, patient, clinician, start, status="completed"):
    kind = appointment_type("consultation")
    return Appointment.objects.create(
        patient=patient,
        appointment_type=kind,
        room=room,
        clinician=clinician,
        start=start,
        end=start + timedelta(minutes=kind.duration_minutes),
        status=status,
        created_by=clinician,
    )


def two_sites():
    north, south = Site.objects.create(name="North"), Site.objects.create(name="South")
    return (
        north,
        south,
        Room.objects.create(name="North chair", site=north, is_chair=True),
        Room.objects.create(name="South chair", site=south, is_chair=True),
    )


def test_front_desk_sees_the_first_sites_rooms_and_can_choose_another_or_all(client_for, front_desk, nurse):
    north, south, north_chair, south_chair = two_sites()
    day = timezone.localdate()
    seen_at(north_chair, PatientFactory(legal_family_name="Northman"), nurse, at(day, 9), "scheduled")
    seen_at(south_chair, PatientFactory(legal_family_name="Southby"), nurse, at(day, 11), "scheduled")
    client = client_for(front_desk)
    calendar = reverse("sessions:calendar")

    first = client.get(calendar, {"view": "day", "by": "room"}).content.decode()
    assert "North chair" in first and "Northman" in first
    assert "South chair" not in first and "Southby" not in first
    assert f"site={north.pk}" in first  # the day, week and column links keep the site

    other = client.get(calendar, {"view": "week", "by": "room", "site": south.pk}).content.decode()
    assert "Southby" in other and "Northman" not in other

    every = client.get(calendar, {"view": "day", "by": "room", "site": "all"}).content.decode()
    assert "Southby" in every and "Northman" in every


def test_by_clinician_the_calendar_lists_who_is_seen_at_the_site(client_for, front_desk, nurse, prescriber):
    north, _south, north_chair, south_chair = two_sites()
    day = timezone.localdate()
    seen_at(north_chair, PatientFactory(), nurse, at(day, 9), "scheduled")
    seen_at(south_chair, PatientFactory(), prescriber, at(day, 11), "scheduled")
    page = (
        client_for(front_desk)
        .get(reverse("sessions:calendar"), {"view": "week", "by": "clinician", "site": north.pk})
        .content.decode()
    )
    assert str(nurse) in page
    assert str(prescriber) not in page.split("<table", 1)[1]


def test_a_site_that_is_not_there_shows_the_first_one(client_for, front_desk):
    two_sites()
    for value in ("999999", "abc", "", "all"):
        response = client_for(front_desk).get(reverse("sessions:calendar"), {"site": value})
        assert response.status_code == 200


def test_a_clinic_without_sites_sees_every_room_and_no_site_choice(client_for, front_desk, nurse):
    room = Room.objects.create(name="The only chair", is_chair=True)
    seen_at(room, PatientFactory(legal_family_name="Solo"), nurse, at(timezone.localdate(), 9), "scheduled")
    page = client_for(front_desk).get(reverse("sessions:calendar")).content.decode()
    assert "The only chair" in page and "Solo" in page
    assert 'name="site"' not in page


def test_outcomes_count_the_patients_seen_at_a_site(client_for, administrator, nurse):
    north, south, north_chair, south_chair = two_sites()
    patients = varied_clinic(nurse, patients=12, seed=5)
    at_north = {patient.pk for patient in patients[::2]}
    for patient in patients:
        room = north_chair if patient.pk in at_north else south_chair
        seen_at(room, patient, nurse, timezone.now() - timedelta(days=30 + patient.pk % 7))
    assert clinic_outcomes(1, site=str(north.pk)) == reference_outcomes(1, patient_ids=at_north)
    page = client_for(administrator).get(
        reverse("assessments:outcomes"), {"site": str(south.pk), "min_followups": "1"}
    )
    assert page.status_code == 200
    assert f'<option value="{south.pk}" selected>South</option>' in page.content.decode()
    refused = client_for(administrator).get(reverse("assessments:outcomes"), {"site": "999999"})
    assert refused.status_code == 400


def test_today_shows_one_site_and_checking_in_comes_back_to_it(client_for, front_desk, nurse):
    north, south, north_chair, south_chair = two_sites()
    day = timezone.localdate()
    north_visit = seen_at(
        north_chair, PatientFactory(legal_family_name="Northman"), nurse, at(day, 9), "scheduled"
    )
    seen_at(south_chair, PatientFactory(legal_family_name="Southby"), nurse, at(day, 11), "scheduled")
    client = client_for(front_desk)
    first = client.get(reverse("sessions:today")).content.decode()
    assert "Northman" in first and "Southby" not in first
    other = client.get(reverse("sessions:today"), {"site": south.pk}).content.decode()
    assert "Southby" in other and "Northman" not in other
    every = client.get(reverse("sessions:today"), {"site": "all"}).content.decode()
    assert "Southby" in every and "Northman" in every
    status = reverse(
        "sessions:appointment_status", args=[north_visit.patient.external_id, north_visit.external_id]
    )
    back = client.post(status, {"status": "checked_in", "next": f"/today/?site={north.pk}"})
    assert back["Location"] == f"/today/?site={north.pk}"
    elsewhere = client.post(status, {"status": "in_treatment", "next": "https://evil.example/today/"})
    assert "evil" not in elsewhere["Location"]
