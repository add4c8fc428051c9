-- A column of a row source, qualified by its alias.
-- @fragment alias the row source's alias
-- @ident column the column
{{alias}}.{{column}}
