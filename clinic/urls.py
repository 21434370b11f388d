from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from clinic import views

# Django admin signs in through allauth, so MFA and rate limits apply there too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("session/keepalive/", views.keepalive, name="keepalive"),
    path("accounts/email/", views.email_managed_by_clinic, name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("patients/", include("patients.urls")),
    path("portal/", include("portal.urls")),
    path("", include("assessments.urls")),
    path("", include("sessions.urls")),
    path("", include("sessions.integration.urls")),
    path("", include("interop.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "clinic.views.permission_denied"
handler404 = "clinic.views.page_not_found"
handler500 = "clinic.views.server_error"
