/** The fixed event of the closed-loop HTTP runs (`bench:gateway`, the empty-fastify ceiling). */
export function sampleEvent(i: number): Record<string, unknown> {
  return {
    event_type: 'tracking',
    ts: Date.now(),
    create_time: '5f4c1e70-cb1c-11f0-8de9-0242ac120002',
    bid: 1,
    campaign_id: i % 50,
    company_id: i % 7,
    publisher_id: i % 11,
    group_id: i % 13,
    job_id: i,
    custom_track: 'click',
    user_id: `user-${i % 1000}`,
    url: 'https://jobs.example.com/listing?id=12345&ref=campaign',
    user_agent:
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36',
  };
}

/** A request body: one event as an object, or `batch` events as an array. */
export function sampleBody(batch: number): string {
  return JSON.stringify(
    batch === 1 ? sampleEvent(1) : Array.from({ length: batch }, (_, i) => sampleEvent(i)),
  );
}
