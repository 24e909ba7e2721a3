#!/usr/bin/env escript
%%! +P 5000000 -smp auto
%% The BEAM side of scripts/bench_sched.sh: the same spawn and ring measurements
%% as tests/bench/sched_bench.cpp, printed as one RESULT line.
-mode(compile).

main(Args) ->
    [Procs, RingSize, Hops] = case Args of
        [A, B, C] -> [list_to_integer(A), list_to_integer(B), list_to_integer(C)];
        _ -> [1000000, 10000, 1000000]
    end,
    {SpawnRate, BytesPer} = spawn_bench(Procs),
    RingRate = ring_bench(RingSize, Hops),
    io:format("RESULT spawn_per_s=~w bytes_per_idle_process=~w ring_hops_per_s=~w~n",
              [round(SpawnRate), round(BytesPer), round(RingRate)]).

idle() -> receive stop -> ok end.

spawn_bench(N) ->
    erlang:garbage_collect(),
    Before = erlang:memory(processes),
    T0 = erlang:monotonic_time(),
    Pids = [spawn(fun idle/0) || _ <- lists:seq(1, N)],
    T1 = erlang:monotonic_time(),
    After = erlang:memory(processes),
    [P ! stop || P <- Pids],
    Secs = erlang:convert_time_unit(T1 - T0, native, microsecond) / 1.0e6,
    {N / Secs, (After - Before) / N}.

ring_node(Next, Parent) ->
    receive
        {set_next, N} -> ring_node(N, Parent);
        0 -> Parent ! done, ring_node(Next, Parent);
        K -> Next ! K - 1, ring_node(Next, Parent)
    end.

ring_bench(Size, Hops) ->
    Self = self(),
    Nodes = [spawn(fun() -> ring_node(undefined, Self) end) || _ <- lists:seq(1, Size)],
    Nexts = tl(Nodes) ++ [hd(Nodes)],
    [N ! {set_next, M} || {N, M} <- lists:zip(Nodes, Nexts)],
    T0 = erlang:monotonic_time(),
    hd(Nodes) ! Hops,
    receive done -> ok end,
    T1 = erlang:monotonic_time(),
    Secs = erlang:convert_time_unit(T1 - T0, native, microsecond) / 1.0e6,
    [exit(N, kill) || N <- Nodes],
    Hops / Secs.
