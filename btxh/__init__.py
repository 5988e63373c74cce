"""btxh: the open registry and payroll for Vietnam's social assistance (bảo trợ xã hội)."""

__version__ = "0.1.0"
