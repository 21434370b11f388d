from django.urls import path

from patients import views

app_name = "portal"

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("invitation/<str:token>/", views.accept_portal_invitation, name="accept_invitation"),
]
