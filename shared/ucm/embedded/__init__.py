"""Embedded peers for laptops and tests: PostgreSQL, the Tansu Kafka broker, moto_server."""
