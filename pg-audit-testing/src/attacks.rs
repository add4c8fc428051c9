//! Hostile objects a table owner can plant, shared by the library's and the command's tests.

/// A table that records who ran a planted function, and `public.unnest(smallint[])`, which
/// an unqualified `unnest` of a `smallint[]` resolves to under any search_path that holds
/// `public` (an exact match wins over `pg_catalog.unnest(anyarray)` wherever the schemas
/// stand). The catalog reads key columns with exactly such a call.
pub const PLANTED_UNNEST: &str = "
CREATE TABLE public.evidence (ran_as text);
GRANT INSERT ON public.evidence TO PUBLIC;
CREATE FUNCTION public.unnest(smallint[]) RETURNS SETOF smallint LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.evidence VALUES (current_user);
    RETURN QUERY SELECT * FROM pg_catalog.unnest($1);
END $$;";

/// How many times the planted function ran.
pub const EVIDENCE: &str = "SELECT count(*) FROM public.evidence";
