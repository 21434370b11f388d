"""The generated clinic's staff, rooms and names: 40 staff per 20,000 patients, a site per 5,000.
Each generated clinician and room belongs to one site (pools interleaved by site, see ``make_rooms``).

Staff are made through the ORM (a few dozen rows) with the demo password and a vouched address, so a
benchmark can sign in as any of them; patients are made in bulk by ``demo.generate.build``.
"""

import math

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from clinic import roles
from clinic.email_addresses import vouch_for_email
from clinic.models import User
from sessions.models import Room, Site, WorkingHours

GIVEN = [
    "Alex",
    "Avery",
    "Blair",
    "Casey",
    "Dana",
    "Drew",
    "Eden",
    "Emery",
    "Finley",
    "Gray",
    "Harper",
    "Hayden",
    "Jamie",
    "Jesse",
    "Jordan",
    "Kai",
    "Kendall",
    "Lane",
    "Logan",
    "Morgan",
    "Noel",
    "Oakley",
    "Parker",
    "Quinn",
    "Reese",
    "Riley",
    "Rowan",
    "Sage",
    "Sawyer",
    "Skyler",
    "Taylor",
    "Tatum",
    "Toby",
    "Val",
    "Wren",
    "Ari",
    "Bailey",
    "Cameron",
    "Devon",
    "Ellis",
]
FAMILY = [
    "Abbott",
    "Baxter",
    "Carver",
    "Dalton",
    "Ellison",
    "Fairbanks",
    "Garrison",
    "Holloway",
    "Ingram",
    "Jarvis",
    "Keaton",
    "Langley",
    "Merritt",
    "Norwood",
    "Oakes",
    "Prescott",
    "Quimby",
    "Radcliffe",
    "Sterling",
    "Thorne",
    "Underwood",
    "Vance",
    "Whitfield",
    "Yates",
    "Ashby",
    "Brandt",
    "Colton",
    "Dempsey",
    "Easton",
    "Fletcher",
    "Goodwin",
    "Hartley",
    "Irving",
    "Jennings",
    "Kirkland",
    "Lowell",
    "Marsh",
    "Nash",
    "Osgood",
    "Pryor",
    "Redmond",
    "Sutton",
    "Tillman",
    "Upton",
    "Voss",
    "Wexler",
    "Yardley",
    "Zeller",
    "Bramble",
    "Crane",
    "Dunmore",
    "Emberly",
    "Fenwick",
    "Gale",
    "Hollis",
    "Ives",
    "Juniper",
    "Kestrel",
    "Lark",
    "Mossley",
]

SITES = ("North", "Riverside", "South")
#: (role, how many, credential, weekday hours) for the 40 staff the generator adds.
STAFF_PLAN = (
    (roles.PRESCRIBER, 8, "MD", (8, 17)),
    (roles.NURSE, 14, "RN", (8, 18)),
    (roles.THERAPIST, 12, "LCSW", (9, 17)),
    (roles.FRONT_DESK, 5, "", (8, 18)),
    (roles.ADMINISTRATOR, 1, "", (9, 17)),
)
EMAIL_DOMAIN = "example.test"


#: The staff plan above is for this many patients; a larger clinic group has that many more staff (the
#: 66,667-patient group three times as many), so one therapist's caseload stays at about 800 patients.
PATIENTS_PER_STAFF_PLAN = 20000


def make_staff(password, patients=PATIENTS_PER_STAFF_PLAN):
    """The generated staff by role ({role: [user id, …]}), created once (a second run reuses them and
    adds what a larger clinic needs)."""
    hashed = make_password(password)
    scale = max(1, round(patients / PATIENTS_PER_STAFF_PLAN))
    by_role = {}
    number = 0
    for role, per_plan, credential, (starts, ends) in STAFF_PLAN:
        count = per_plan * scale if role != roles.ADMINISTRATOR else per_plan
        group = Group.objects.get(name=role)
        ids = []
        for index in range(count):
            number += 1
            email = f"{role.lower().replace(' ', '')}{index + 1:02d}@staff.{EMAIL_DOMAIN}"
            user, created = User.objects.get_or_create(
                email=email,
                defaults={
                    "first_name": GIVEN[(number * 7) % len(GIVEN)],
                    "last_name": FAMILY[(number * 11) % len(FAMILY)],
                    "credential": credential,
                    "password": hashed,
                    "is_staff": role == roles.ADMINISTRATOR,
                },
            )
            if created:
                user.groups.add(group)
                vouch_for_email(user)
                if role != roles.FRONT_DESK:
                    WorkingHours.objects.bulk_create(
                        WorkingHours(staff=user, weekday=day, starts=f"{starts}:00", ends=f"{ends}:00")
                        for day in range(5)
                    )
            ids.append(user.pk)
        by_role[role] = ids
    return by_role


#: A site of six chairs and three consulting rooms for every this many patients: a clinic group grows by
#: opening sites, so a room's week holds about as many appointments at 66,667 patients as at 5,000.
PATIENTS_PER_SITE = 5000


def site_names(patients):
    count = max(len(SITES), math.ceil(patients / PATIENTS_PER_SITE))
    return [*SITES, *(f"Site {number}" for number in range(len(SITES) + 1, count + 1))]


def make_rooms(patients):
    """Treatment chairs and consulting rooms at each site: ``{"sites": S, "chairs": [id…], "consult":
    [id…]}``, each list interleaved by site (room i is at site i mod S), the way the staff pools are read
    (``pg_temp.gen_pick``): a patient's rooms and clinicians are all at the patient's site."""
    chairs, consult = [], []
    names = site_names(patients)
    for name in names:
        site = Site.objects.get_or_create(name=name)[0]
        chairs.append(
            [
                Room.objects.update_or_create(
                    name=f"{name} chair {number}", defaults={"is_chair": True, "site": site}
                )[0].pk
                for number in range(1, 7)
            ]
        )
        consult.append(
            [
                Room.objects.update_or_create(name=f"{name} consult {number}", defaults={"site": site})[0].pk
                for number in range(1, 4)
            ]
        )
    return {
        "sites": len(names),
        "chairs": [pk for row in zip(*chairs, strict=True) for pk in row],
        "consult": [pk for row in zip(*consult, strict=True) for pk in row],
    }
