using System.Text.Json;
using Bms.Drivers.CellMonitoring;
using Bms.Replay.Bench;

namespace Bms.Tools.Tests.Bench;

public class NanoRamEstimatorTests
{
    [Fact]
    public void Readings_buffer_is_sized_by_the_nanoCLR_block_model()
    {
        var readings = new CellMonitorReadings(16, 3);
        RamEstimate estimate = NanoRamEstimator.Estimate(readings);
        // Object: header + 17 fields (9 + the cell summary's 7 + TemperaturesHeld), 12 bytes each = 216.
        // int[16]: 20 + 64 = 84 (7 blocks); bool[16]: 20 + 16 = 36; int[3]: 20 + 12 = 32 -> 36; bool[3]: 20 + 3 = 23 -> 24.
        Assert.Equal(216 + 84 + 36 + 36 + 24, estimate.InstanceBytes);
        Assert.Equal(5, estimate.InstanceObjects);
        Assert.Contains(estimate.ByType, e => e.Type == "Int32[]" && e.Count == 2 && e.Bytes == 84 + 36);
    }

    [Fact]
    public void Host_objects_are_not_counted()
    {
        // A host-side object graph (not an MCU type): nothing of it is on the device.
        var estimate = NanoRamEstimator.Estimate(new Bms.Emulators.Common.EmulatedPack(16, 3));
        Assert.Equal(0, estimate.InstanceBytes);
    }
}

public class BenchRunnerTests
{
    // Warm-up past the first 60 s duties (open-wire test, SoC save) so their first run, which .NET may JIT and
    // allocate for, is not inside the steady-state window.
    private static readonly BenchOptions Quick = new() { WarmupTicks = 700, AllocationTicks = 500, IlTicks = 20, ReplayHours = 0.01, TopMethods = 5 };

    [Theory]
    [InlineData(BenchTargets.Bq76952Pack, 16)]
    [InlineData(BenchTargets.Ltc6813Chain, 36)]
    [InlineData(BenchTargets.Bq76940Pack, 15)]
    public void Every_configuration_runs_and_reports_its_figures(string key, int cells)
    {
        BenchResult result = BenchRunner.Run(key, Quick);
        Assert.Equal(cells, result.Cells);
        Assert.True(result.IlInstructionsPerTick > 100, $"IL per tick {result.IlInstructionsPerTick}");
        Assert.True(result.IlInstructionsWorstTick >= result.IlInstructionsPerTick);
        Assert.NotEmpty(result.TopMethods);
        Assert.All(result.TopMethods, m => Assert.StartsWith("Bms.", m.Method));
        // The worst tick's own breakdown adds up to no more than that tick, and its largest method is in it.
        Assert.NotEmpty(result.WorstTickMethods);
        Assert.True(result.WorstTickMethods.Sum(m => m.InstructionsPerTick) <= result.IlInstructionsWorstTick);
        Assert.InRange(result.IlWorstTickIndex, 0, Quick.IlTicks - 1);
        Assert.True(result.BusBytesPerScan > 0);
        Assert.True(result.MinimumBusBytesPerScan > 0);
        Assert.True(result.RamInstanceBytes > 0);
        Assert.True(result.CellSamplesPerSecond > 0);
        Assert.Equal(0, result.FirmwareAllocatedBytesPerTick); // the zero-allocation rule, also in the quick run
        // The figures are those of the intended state: the whole firmware, contactors closed, nothing raised.
        Assert.Equal("BmsSystem", result.Composition);
        Assert.Contains("contactors Closed", result.SteadyState);
        Assert.Contains("highest level None", result.SteadyState);
        Assert.Contains("AFE scan ok", result.SteadyState);
    }

    [Fact]
    public void Driver_only_run_counts_only_the_driver()
    {
        BenchResult result = BenchRunner.Run(BenchTargets.Bq76952Pack, new BenchOptions
        {
            WarmupTicks = 20, AllocationTicks = 200, IlTicks = 20, ReplayHours = 0.005, TopMethods = 50, DriverOnly = true,
        });
        Assert.Equal("AFE driver only", result.Composition);
        Assert.All(result.TopMethods, m => Assert.StartsWith("Bms.Drivers:", m.Method));
        Assert.True(result.BusBytesPerScan >= result.MinimumBusBytesPerScan);
    }

    [Fact]
    public void Instruction_counts_are_deterministic()
    {
        var first = BenchRunner.CountInstructions(BenchTargets.Bq76952Pack, Quick);
        var second = BenchRunner.CountInstructions(BenchTargets.Bq76952Pack, Quick);
        Assert.Equal(first.MeanPerTick, second.MeanPerTick);
        Assert.Equal(first.WorstTick, second.WorstTick);
    }

    [Fact]
    public void Bus_time_uses_9_clocks_per_I2C_byte_and_8_per_SPI_byte()
    {
        Assert.Equal(100 * 9 / 400.0, BenchRunner.BusTime_ms(BenchBus.I2c400kHz, 100), 9);
        Assert.Equal(100 * 8 / 1000.0, BenchRunner.BusTime_ms(BenchBus.Spi1MHz, 100), 9);
    }

    [Fact]
    public void Missed_targets_are_named_and_fail_the_exit_code()
    {
        var over = new BenchResult
        {
            Configuration = BenchTargets.Bq76952Pack, Composition = "test", Cells = 16,
            FirmwareAllocatedBytesPerTick = 24, IlInstructionsPerTick = 12_000, BusBytesPerScan = 130, MinimumBusBytesPerScan = 100,
            ReplaySecondsFor24h = 12,
        };
        Assert.Equal(4, over.Misses().Count);
        var chain = new BenchResult { Configuration = BenchTargets.Ltc6813Chain, Composition = "test", Cells = 36, IlInstructionsPerTick = 12_000, BusBytesPerScan = 120, MinimumBusBytesPerScan = 100, ReplaySecondsFor24h = 100 };
        Assert.Empty(chain.Misses()); // 20,000 budget for the chain; the 24 h target is the 16-cell pack's
    }

    [Fact]
    public void Execute_prints_tables_and_writes_json()
    {
        string json = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        try
        {
            var output = new StringWriter();
            int exit = BenchCommand.Execute(new[] { BenchTargets.Bq76952Pack }, Quick, json, output, new StringWriter());
            Assert.Contains("== bq76952-16", output.ToString());
            Assert.Contains("IL instructions / 100 ms tick", output.ToString());
            using var document = JsonDocument.Parse(File.ReadAllText(json));
            var first = document.RootElement[0];
            Assert.Equal("bq76952-16", first.GetProperty("Configuration").GetString());
            Assert.True(first.GetProperty("il").GetProperty("instructionsPerTick").GetDouble() > 0);
            Assert.Equal(first.GetProperty("misses").GetArrayLength() == 0 ? 0 : 1, exit);
        }
        finally
        {
            File.Delete(json);
        }
    }
}

public class HostAllocationMeterTests
{
    private sealed class AllocatingBus(int bytesPerCall) : Bms.Hal.II2cDevice
    {
        public object? Last;
        public int Address => 0x08;
        public Bms.Hal.BusStatus Write(byte[] buffer, int offset, int count) { Last = new byte[bytesPerCall]; return default; }
        public Bms.Hal.BusStatus Read(byte[] buffer, int offset, int count) { Last = new byte[bytesPerCall]; return default; }
        public Bms.Hal.BusStatus WriteRead(byte[] w, int wo, int wc, byte[] r, int ro, int rc) { Last = new byte[bytesPerCall]; return default; }
    }

    [Fact]
    public void Allocations_inside_wrapped_host_calls_are_attributed_to_the_host()
    {
        var meter = new HostAllocationMeter();
        var bus = meter.Wrap(new AllocatingBus(1000));
        var buffer = new byte[4];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) bus.WriteRead(buffer, 0, 1, buffer, 0, 2);
        long total = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(meter.HostBytes >= 10 * 1000, $"host bytes {meter.HostBytes}");
        Assert.Equal(total, meter.HostBytes); // the wrapper itself allocates nothing
    }

    [Fact]
    public void Board_rate_turns_instructions_into_milliseconds()
    {
        var result = new BenchResult { Configuration = BenchTargets.Bq76952Pack, Composition = "test", Cells = 16, IlInstructionsPerTick = 20_000, IlInstructionsWorstTick = 40_000 };
        string table = BenchCommand.FormatTable(result, boardIlPerSecond: 1_000_000);
        Assert.Contains("20.0 ms mean (20 % of 100 ms), 40.0 ms worst at 1000000 IL/s", table);
    }
}
