using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Common;

namespace Bms.Drivers.Tests.Bq76952;

/// <summary>
/// Seeded random configurations and pack states: whatever the wiring, CRC mode, units and shunt, the driver
/// reads back exactly what the emulated pack holds, and a burst of transient faults shorter than the retry
/// budget never costs a value.
/// </summary>
public class Bq76952RandomizedTests
{
    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (int seed = 1; seed <= 60; seed++) seeds.Add(seed);
        return seeds;
    }

    private static int RandomMask(Random random, int cells)
    {
        var inputs = Enumerable.Range(0, 16).OrderBy(_ => random.Next()).Take(cells);
        return inputs.Aggregate(0, (mask, input) => mask | (1 << input));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_configuration_and_pack_read_back_exactly(int seed)
    {
        var random = new Random(seed);
        int cells = random.Next(3, 17);
        int mask = RandomMask(random, cells);
        bool crc = random.Next(2) == 0;
        int lsb = random.Next(2) == 0 ? 1 : 10;
        int shunt = new[] { 250, 500, 1000, 2000 }[random.Next(4)];
        var f = new Bq76952Fixture(cells, crc, c =>
        {
            c.CellInputMask = mask;
            c.Ts1Thermistor = random.Next(2) == 0;
            c.Ts2Thermistor = random.Next(2) == 0;
            c.Ts3Thermistor = random.Next(2) == 0;
            c.CurrentLsb_mA = lsb;
            c.SenseResistor_uOhm = shunt;
        });
        f.Chip.SenseResistor_uOhm = shunt;
        Assert.True(f.Driver.Initialize(), $"seed {seed}");

        for (int scan = 0; scan < 5; scan++)
        {
            for (int i = 0; i < cells; i++) f.Pack.CellVoltage_mV[i] = random.Next(2000, 4500);
            for (int t = 0; t < 3; t++) f.Pack.Temperature_dC[t] = random.Next(-300, 900);
            int range_mA = 30_000 * lsb; // keeps CC2 inside its signed 16-bit range
            f.Pack.Current_mA = random.Next(-range_mA, range_mA);
            f.Chip.InternalTemperature_dC = random.Next(-200, 800);

            // A burst of transient faults no longer than the retry budget allows.
            var fault = new[] { EmulatorFault.Nack, EmulatorFault.NoAnswer, EmulatorFault.CorruptCrc }[random.Next(3)];
            if (fault != EmulatorFault.CorruptCrc || crc)
                f.Chip.Inject(fault, random.Next(0, f.Config.MaxAttempts));

            Assert.True(f.Driver.Measure(f.Readings), $"seed {seed} scan {scan}");
            f.AssertReadingsEqualPack();
            Assert.Equal(0, f.Driver.Statistics.FailedTransfers);
            f.Chip.ClearAll();
        }
        Assert.Equal(f.Chip.Transactions, f.Driver.Statistics.Transfers);
        Assert.Equal(f.Chip.BusBytes, f.Driver.Statistics.BusBytes);
        Assert.Equal(0, f.Chip.RejectedChecksums);
        Assert.Equal(0, f.Chip.RejectedDataMemoryWrites);
    }
}
