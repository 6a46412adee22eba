"""Shared leaves: what every stage may import (errors, CloudFormation intrinsics, the event-filter
language, the placeholder account and region, the content-addressed cache, the progress line).
Modules here import nothing from the project but ``gate`` itself and each other."""
