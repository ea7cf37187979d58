"""sso-sync: fresh AWS credentials from IAM Identity Center, pushed as GitHub Actions secrets."""

try:  # written by setuptools-scm when the package is built or installed (from the git tag)
    from sso_sync._version import __version__ as __version__
except ImportError:  # a source tree imported without being installed
    __version__ = "0.0.0+unknown"
