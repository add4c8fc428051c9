-- Body of pg_audit_stable_hash(bytes): FNV-1a 64 as 16 hex digits, the hash trigger.rs's
-- stable_hash computes, here over two 32-bit halves so no bigint overflows. The prime is
-- 2^40 + 435: the low half's low 24 bits shifted by 40 land in the high half.
DECLARE
    hi bigint := 3421674724;
    lo bigint := 2216829733;
    product bigint;
    i integer;
BEGIN
    FOR i IN 0 .. pg_catalog.length(bytes) OPERATOR(pg_catalog.-) 1 LOOP
        lo := lo OPERATOR(pg_catalog.#) pg_catalog.get_byte(bytes, i);
        product := lo OPERATOR(pg_catalog.*) 435;
        hi := (hi OPERATOR(pg_catalog.*) 435
               OPERATOR(pg_catalog.+) (product OPERATOR(pg_catalog.>>) 32)
               OPERATOR(pg_catalog.+) ((lo OPERATOR(pg_catalog.&) 16777215) OPERATOR(pg_catalog.<<) 8))
              OPERATOR(pg_catalog.&) 4294967295;
        lo := product OPERATOR(pg_catalog.&) 4294967295;
    END LOOP;
    RETURN pg_catalog.lpad(pg_catalog.to_hex(hi), 8, '0') OPERATOR(pg_catalog.||) pg_catalog.lpad(pg_catalog.to_hex(lo), 8, '0');
END
