-- Roles of the back office (see shared/ucm/provision.py): the owner runs migrations, the app
-- role owns nothing and lacks BYPASSRLS, so row-level security always applies to it.
CREATE ROLE ucm_owner LOGIN PASSWORD 'ucm_owner' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE ucm_app LOGIN PASSWORD 'ucm_app' NOSUPERUSER NOBYPASSRLS;
ALTER DATABASE retail OWNER TO ucm_owner;
GRANT ALL ON SCHEMA public TO ucm_owner;
\connect retail
CREATE EXTENSION IF NOT EXISTS pg_trgm;
