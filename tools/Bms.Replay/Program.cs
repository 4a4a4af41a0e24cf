using Bms.Replay.Cli;

// bms-replay: the root command replays the bundled samples; each verb is one line here.
var root = ReplayCli.CreateRoot();
root.Add(ReplayCommand.Create());
root.Add(ImportCommand.Create());
root.Add(Bms.Replay.Bench.BenchCommand.Create());
root.Add(Bms.Replay.Stream.StreamCommand.Create());
root.Add(Bms.Replay.Accuracy.AccuracyCommand.Create());
root.Add(Bms.Simulation.Cli.SimulateCommand.Create());
return root.Parse(args).Invoke();
