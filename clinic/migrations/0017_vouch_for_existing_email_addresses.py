"""Every existing login's address becomes a verified allauth EmailAddress.

allauth refuses TOTP enrolment while a user has an unverified address, and staff made in admin or by
seed_demo had none verified (allauth records one as unverified at the first password reset), so with
REQUIRE_STAFF_MFA on they could never get past enrolment. Every login here was made by someone who
vouched for its address: an administrator, `createsuperuser`, the demo seed or an accepted portal
invitation (Clinic has no sign-up). From now on clinic.email_addresses.vouch_for_email keeps this so.

Adds rows to account_emailaddress (declared in clinic/tests/test_upgrade.py) and drops unverified rows
for addresses a login no longer has. Backwards it changes nothing: an address verified is no less
verified on the older code.
"""

from django.db import migrations


def vouch_for_existing_addresses(apps, schema_editor):
    User = apps.get_model("clinic", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    verified_elsewhere = {}
    for row in EmailAddress.objects.filter(verified=True).values("email", "user_id"):
        verified_elsewhere.setdefault(row["email"].lower(), set()).add(row["user_id"])
    for user in User.objects.exclude(email="").only("pk", "email").iterator():
        email = user.email.strip().lower()
        # An unverified address the login no longer has would still block enrolment.
        EmailAddress.objects.filter(user_id=user.pk, verified=False).exclude(email=email).delete()
        owners = verified_elsewhere.get(email, set())
        if user.pk in owners:
            continue
        if owners:
            # Another login holds this address verified (a row left from an old address of theirs):
            # one owner only, as allauth's unique_verified_email constraint says; leave it to admin.
            continue
        has_primary = EmailAddress.objects.filter(user_id=user.pk, primary=True).exclude(email=email).exists()
        address, created = EmailAddress.objects.get_or_create(
            user_id=user.pk, email=email, defaults={"verified": True, "primary": not has_primary}
        )
        if not created and not address.verified:
            address.verified = True
            address.save(update_fields=["verified"])


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0016_audit_trail"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.RunPython(vouch_for_existing_addresses, migrations.RunPython.noop),
    ]
