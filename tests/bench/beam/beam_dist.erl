%% The BEAM side of scripts/bench_beam_dist.sh: the workloads that actormq's node
%% link will be measured on, run between a process on this node (node 1) and one
%% on the peer node (node 2) over Erlang distribution.
%%
%% Started by the script as
%%   erl -sname A ... -eval 'beam_dist:main()' -extra PEER SECONDS ROUNDTRIPS PAYLOAD REPS
%% Prints one line per repetition, a summary and, last, the RESULT line; halts
%% with 0, or 1 on any failure.
-module(beam_dist).
-export([main/0, sink/1, echo/0]).

-define(BATCH, 1000).        % the sink acks every BATCH messages
-define(WINDOW, 10).         % unacknowledged batches the sender may have in flight
-define(WARMUP_TRIPS, 200).  % round trips before the measured ones
-define(RTT_LIMIT_MS, 20000). % round trips stop here even if fewer than asked
-define(REPLY_MS, 10000).    % an ack, pong or result later than this fails the run

main() ->
    try
        [Peer | Nums] = init:get_plain_arguments(),
        [Secs, Trips, Payload, Reps] = [list_to_integer(A) || A <- Nums],
        watchdog(Reps * (Secs + 1 + ?RTT_LIMIT_MS div 1000 + 3 * ?REPLY_MS div 1000) + 30),
        run(list_to_atom(Peer), Secs, Trips, binary:copy(<<$x>>, Payload), Reps),
        halt(0)
    catch Class:Reason:Stack ->
        io:format(standard_error, "beam_dist: ~p:~p~n  ~p~n", [Class, Reason, Stack]),
        halt(1)
    end.

%% Nothing below should hang, but if it does the node still halts.
watchdog(Secs) ->
    spawn(fun() ->
        receive after Secs * 1000 ->
            io:format(standard_error, "beam_dist: no result after ~w s~n", [Secs]),
            halt(1)
        end
    end).

run(Peer, Secs, Trips, Bin, Reps) ->
    connect(Peer, 50),
    Runs = [begin
                Rate = throughput(Peer, Secs, Bin),
                {Done, P50, P90, P99} = roundtrips(Peer, Trips, Bin),
                io:format("rep ~w: ~w msgs/s node 1 -> node 2; ~w round trips: "
                          "p50 ~w us, p90 ~w us, p99 ~w us~n",
                          [R, Rate, Done, P50, P90, P99]),
                {Rate, P50, P90, P99}
            end || R <- lists:seq(1, Reps)],
    [Rate, P50, P90, P99] = [median([element(I, Run) || Run <- Runs]) || I <- [1, 2, 3, 4]],
    spawn(Peer, erlang, halt, []),
    io:format("BEAM OTP ~s, ~w scheduler(s) per node, payload ~w bytes, "
              "median of ~w rep(s)~n",
              [erlang:system_info(otp_release), erlang:system_info(schedulers),
               byte_size(Bin), Reps]),
    io:format("remote messages: ~w/s; round trip: p50 ~w us, p90 ~w us, p99 ~w us~n",
              [Rate, P50, P90, P99]),
    io:format("RESULT beam_remote_msgs_per_s=~w beam_rtt_p50_us=~w beam_rtt_p90_us=~w "
              "beam_rtt_p99_us=~w~n", [Rate, P50, P90, P99]).

%% Node 2 registers with epmd a little after node 1 may start: retry for ~5 s.
connect(Peer, 0) -> error({cannot_connect, Peer});
connect(Peer, Tries) ->
    case net_adm:ping(Peer) of
        pong -> ok;
        pang -> timer:sleep(100), connect(Peer, Tries - 1)
    end.

%% Workload A: messages per second received on node 2. A warm-up (a quarter of the
%% run, at most 0.5 s) fills the connection's buffers; then `mark` opens the
%% window that the sink measures and `stop` closes it.
throughput(Peer, Secs, Bin) ->
    Sink = spawn_link(Peer, ?MODULE, sink, [self()]),
    Warm = min(500, Secs * 250),
    Start = now_ms(),
    {Sent, Acked} = send_batches(Sink, Bin, 0, 0, Start + Warm),
    Sink ! mark,
    _ = send_batches(Sink, Bin, Sent, Acked, Start + Warm + Secs * 1000),
    Sink ! stop,
    receive
        {result, Count, Micros} -> round(Count * 1.0e6 / max(1, Micros))
    after ?REPLY_MS -> error(no_result)
    end.

%% Sends whole batches until Deadline, keeping at most WINDOW of them unacked so
%% that the rate is what node 2 takes in, not what node 1's distribution buffer
%% holds. Sent and Acked count batches; returns both.
send_batches(Sink, Bin, Sent, Acked, Deadline) ->
    case now_ms() >= Deadline of
        true ->
            {Sent, Acked};
        false ->
            Acked1 = await_window(Sent, Acked),
            send_batch(Sink, Bin, ?BATCH),
            send_batches(Sink, Bin, Sent + 1, Acked1, Deadline)
    end.

await_window(Sent, Acked) when Sent - Acked >= ?WINDOW ->
    receive {ack, N} -> await_window(Sent, N)
    after ?REPLY_MS -> error(no_ack)
    end;
await_window(Sent, Acked) ->
    receive {ack, N} -> await_window(Sent, N)
    after 0 -> Acked
    end.

send_batch(_Sink, _Bin, 0) -> ok;
send_batch(Sink, Bin, K) -> Sink ! {msg, Bin}, send_batch(Sink, Bin, K - 1).

%% On node 2: acks each full batch with the number of batches seen; counts the
%% messages between `mark` and `stop` and the time between them.
sink(Sender) -> sink(Sender, 0, undefined).

sink(Sender, N, Mark) ->
    receive
        {msg, _} ->
            N1 = N + 1,
            case N1 rem ?BATCH of
                0 -> Sender ! {ack, N1 div ?BATCH};
                _ -> ok
            end,
            sink(Sender, N1, Mark);
        mark ->
            sink(Sender, N, {N, erlang:monotonic_time()});
        stop ->
            {N0, T0} = Mark,
            Micros = erlang:convert_time_unit(erlang:monotonic_time() - T0, native, microsecond),
            Sender ! {result, N - N0, Micros}
    end.

%% Workload B: one message there and back, Trips times (or until RTT_LIMIT_MS).
%% Returns the round trips measured and their p50, p90, p99 in microseconds.
roundtrips(Peer, Trips, Bin) ->
    Echo = spawn_link(Peer, ?MODULE, echo, []),
    Far = erlang:monotonic_time() + erlang:convert_time_unit(?RTT_LIMIT_MS, millisecond, native),
    _ = ping(Echo, Bin, ?WARMUP_TRIPS, Far, []),
    Deadline = erlang:monotonic_time() + erlang:convert_time_unit(?RTT_LIMIT_MS, millisecond, native),
    Rtts = list_to_tuple(lists:sort(ping(Echo, Bin, Trips, Deadline, []))),
    Echo ! stop,
    {tuple_size(Rtts), percentile(Rtts, 50), percentile(Rtts, 90), percentile(Rtts, 99)}.

%% Round-trip times in nanoseconds.
ping(_Echo, _Bin, 0, _Deadline, Acc) -> Acc;
ping(Echo, Bin, K, Deadline, Acc) ->
    T0 = erlang:monotonic_time(),
    Echo ! {ping, self(), Bin},
    receive {pong, _} -> ok
    after ?REPLY_MS -> error(no_pong)
    end,
    T1 = erlang:monotonic_time(),
    Acc1 = [erlang:convert_time_unit(T1 - T0, native, nanosecond) | Acc],
    case T1 >= Deadline of
        true -> Acc1;
        false -> ping(Echo, Bin, K - 1, Deadline, Acc1)
    end.

echo() ->
    receive
        {ping, From, Bin} -> From ! {pong, Bin}, echo();
        stop -> ok
    end.

%% Nearest rank, in whole microseconds (at least 1).
percentile(Sorted, P) ->
    Rank = max(1, ceil(P * tuple_size(Sorted) / 100)),
    max(1, round(element(Rank, Sorted) / 1000)).

median(Xs) -> lists:nth((length(Xs) + 1) div 2, lists:sort(Xs)).

now_ms() -> erlang:monotonic_time(millisecond).
