from django.urls import path

from ops.views import LivenessView, ReadinessView, metrics

#: The names of these routes: `ops.middleware` answers them before the host and HTTPS checks.
ENDPOINTS = ("healthz", "readyz", "metrics")

urlpatterns = [
    path("healthz", LivenessView.as_view(), name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("metrics", metrics, name="metrics"),
]
