"""The camera directory: names people use → camera records, loaded and kept fresh from the API."""
