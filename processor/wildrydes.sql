-- wildrydes.sql - the continuous queries rydeflow ships for the Wild Rydes fleet.
-- Run them with:  bin/processor --file processor/wildrydes.sql
--
-- Every statement is a continuous query: its results go to a Kafka topic as
-- JSON, keyed by Name (fleet_minute, which has no Name, is not keyed). Windows are on event time (StatusTime); GRACE says how
-- long a window waits for events that arrive out of order. Events later than
-- that go to the topic wildrydes-late, malformed ones to wildrydes-deadletter.
-- The dialect is described in docs/sql.md.

-- The workshop's Kinesis Data Analytics query: per unicorn per minute, the
-- distance flown and the range of magic and health points. StatusTime is the
-- minute (the window start). Read by the sink (PostgreSQL, Redis) and the map.
CREATE STREAM wildrydes_summary WITH (topic='wildrydes-summary', key='Name') AS
SELECT Name,
       WINDOW_START      AS StatusTime,
       SUM(Distance)     AS Distance,
       MIN(MagicPoints)  AS MinMagicPoints,
       MAX(MagicPoints)  AS MaxMagicPoints,
       MIN(HealthPoints) AS MinHealthPoints,
       MAX(HealthPoints) AS MaxHealthPoints
FROM wildrydes
WINDOW TUMBLING (SIZE 1 MINUTE, GRACE 5 SECONDS)
GROUP BY Name
EMIT FINAL;

-- Unicorns in trouble: health below 100 at any moment of the last five
-- minutes, updated every minute.
CREATE STREAM low_health WITH (topic='wildrydes-low-health', key='Name') AS
SELECT Name,
       WINDOW_START      AS WindowStart,
       WINDOW_END        AS WindowEnd,
       MIN(HealthPoints) AS MinHealthPoints,
       LAST(HealthPoints) AS HealthPoints,
       COUNT(*)          AS Reports
FROM wildrydes
WINDOW HOPPING (SIZE 5 MINUTES, ADVANCE BY 1 MINUTE, GRACE 5 SECONDS)
GROUP BY Name
HAVING MIN(HealthPoints) < 100
EMIT FINAL;

-- Rides: a unicorn's reports with no gap longer than 30 seconds make one ride.
CREATE STREAM rides WITH (topic='wildrydes-rides', key='Name') AS
SELECT Name,
       WINDOW_START  AS RideStart,
       WINDOW_END    AS RideEnd,
       COUNT(*)      AS Reports,
       SUM(Distance) AS Distance,
       FIRST(Latitude) AS StartLatitude, FIRST(Longitude) AS StartLongitude,
       LAST(Latitude)  AS EndLatitude,   LAST(Longitude)  AS EndLongitude
FROM wildrydes
WINDOW SESSION (30 SECONDS, GRACE 5 SECONDS)
GROUP BY Name
EMIT FINAL;

-- This minute so far, per unicorn, updated as events come (at most every
-- --emit-interval): what the map shows between minute summaries.
CREATE STREAM live_minute WITH (topic='wildrydes-live', key='Name') AS
SELECT Name,
       WINDOW_START      AS StatusTime,
       COUNT(*)          AS Reports,
       SUM(Distance)     AS Distance,
       MIN(HealthPoints) AS MinHealthPoints
FROM wildrydes
WINDOW TUMBLING (SIZE 1 MINUTE, GRACE 5 SECONDS)
GROUP BY Name
EMIT CHANGES;

-- The whole fleet, per minute: reports, unicorns flying, distance and the
-- average health. Its GROUP BY has no Name, so its groups span partitions:
-- the processor repartitions the events through the internal topic
-- <group>-fleet_minute-repartition (every partition feeds it, in the same
-- transaction) and closes a minute once every source partition has passed it
-- (see docs/architecture.md, "Repartitioning").
CREATE STREAM fleet_minute WITH (topic='wildrydes-fleet') AS
SELECT WINDOW_START          AS StatusTime,
       COUNT(*)              AS Reports,
       COUNT(DISTINCT Name)  AS Unicorns,
       SUM(Distance)         AS Distance,
       AVG(HealthPoints)     AS AvgHealthPoints
FROM wildrydes
WINDOW TUMBLING (SIZE 1 MINUTE, GRACE 5 SECONDS)
EMIT FINAL;
