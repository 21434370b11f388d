from allauth.account.adapter import DefaultAccountAdapter


class ClinicAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Staff accounts are made by an administrator; patients join by invitation only.
        return False
