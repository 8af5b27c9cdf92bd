-- wrk script: POST one visitor JSON to the mock's New Visitor endpoint with HTTP Basic auth.
-- Usage: wrk -t2 -c16 -d5s -s mock-server/bench/post_visitor.lua http://127.0.0.1:PORT/demo-app/listener/botsplash/bench
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
-- base64("demo:demo-password"), the mock's default credentials.
wrk.headers["Authorization"] = "Basic ZGVtbzpkZW1vLXBhc3N3b3Jk"
wrk.body = [[{"visitor":{"clientVisitorId":"crm-1001","agentClientUserId":"agent-7","firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","phoneNumber":"+1 704 555 0100","state":"NC","tzName":"America/New_York","deliveryStatus":202,"extendedAttributes":{"loanAmount":250000,"source":"bench"}},"args":{"message":"Hello from the benchmark"}}]]

done = function(summary, latency, requests)
  -- Non-2xx answers would make the figure meaningless: show that there were none.
  -- (No per-response callback: it would slow wrk down and measure wrk, not the mock.)
  local non2xx = summary.errors.status
  io.write(string.format("non-2xx responses: %d, socket errors: connect %d read %d write %d timeout %d\n",
    non2xx, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
