"""Imports every module the curated models name, so model verification always finds them."""

import asyncio.subprocess  # noqa: F401
import builtins  # noqa: F401
import http.client  # noqa: F401
import marshal  # noqa: F401
import os  # noqa: F401
import pickle  # noqa: F401
import pty  # noqa: F401
import runpy  # noqa: F401
import shlex  # noqa: F401
import sqlite3  # noqa: F401
import subprocess  # noqa: F401
import traceback  # noqa: F401
import urllib.request  # noqa: F401

import flowgate_sdk  # noqa: F401
import httpx  # noqa: F401
import jsonpickle  # noqa: F401
import psycopg2.extensions  # noqa: F401
import pymysql.cursors  # noqa: F401
import requests.api  # noqa: F401
import requests.sessions  # noqa: F401
import urllib3  # noqa: F401
import urllib3.poolmanager  # noqa: F401
import yaml  # noqa: F401
