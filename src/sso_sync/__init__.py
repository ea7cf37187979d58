"""sso-sync: fresh AWS credentials from IAM Identity Center, pushed as GitHub Actions secrets."""

__version__ = "0.1.0"
