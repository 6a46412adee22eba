"""serverless-flowgate: a deployment-time gate for cross-service taint flows in Python Lambda apps."""

__version__ = "0.1.0"
