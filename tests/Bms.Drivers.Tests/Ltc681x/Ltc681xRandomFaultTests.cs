using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;
using Bms.Emulators.Common;

namespace Bms.Drivers.Tests.Ltc681x;

/// <summary>
/// Random sequences of communication faults, resets and pauses while the pack moves every scan. Whatever
/// happens, a value the driver calls valid is the pack's present value: never an old or damaged one.
/// </summary>
public class Ltc681xRandomFaultTests
{
    [Theory]
    [InlineData(1, Ltc681xVariant.Ltc6811, 3)]
    [InlineData(2, Ltc681xVariant.Ltc6813, 2)]
    [InlineData(3, Ltc681xVariant.Ltc6812, 1)]
    [InlineData(4, Ltc681xVariant.Adbms1818, 3)]
    public void Valid_means_fresh_and_right(int seed, Ltc681xVariant variant, int devices)
    {
        var rig = new Ltc681xRig(variant, devices, gpioMask: 0b11);
        var rng = new Random(seed);
        rig.SpreadPack(seed);
        Assert.True(rig.Afe.Initialize());
        int validScans = 0, invalidCells = 0;

        for (int scan = 0; scan < 400; scan++)
        {
            for (int c = 0; c < rig.Chain.Pack.CellCount; c++)
            {
                rig.Chain.Pack.CellVoltage_mV[c] = 2800 + rng.Next(0, 1400);
                rig.Chain.SubMillivoltCode[c] = rng.Next(0, 10);
            }
            for (int t = 0; t < rig.Chain.Pack.TemperatureCount; t++) rig.Chain.Pack.Temperature_dC[t] = rng.Next(-200, 800);

            switch (rng.Next(0, 14))
            {
                case 0: rig.Chain.Inject(EmulatorFault.CorruptCrc, rng.Next(-1, devices)); break;
                case 1: rig.Chain.Inject(EmulatorFault.NoAnswer); break;
                case 2: rig.Chain.Inject(EmulatorFault.DeviceMissing, rng.Next(0, devices)); break;
                case 3: rig.Chain.Inject(EmulatorFault.ChipReset, rng.Next(-1, devices)); break;
                case 4: rig.Chain.CorruptNextAnswers(rng.Next(1, 4)); break;
                case 5: rig.Chain.Inject(EmulatorFault.FrozenValue); break;
                case 6: case 7: case 8: rig.Chain.ClearAll(); break;
            }
            int period = rng.Next(0, 10) == 0 ? rng.Next(1000, 4000) : 100;

            if (rig.Scan(period)) validScans++;

            for (int c = 0; c < rig.Afe.CellCount; c++)
            {
                if (!rig.Readings.CellValid[c]) { invalidCells++; continue; }
                Assert.True(rig.ExpectedCell_mV(c) == rig.Readings.CellVoltage_mV[c],
                    $"scan {scan}: cell {c} valid at {rig.Readings.CellVoltage_mV[c]} mV, pack is {rig.ExpectedCell_mV(c)} mV");
            }
            for (int t = 0; t < rig.Afe.TemperatureCount; t++)
            {
                if (!rig.Readings.TemperatureValid[t]) continue;
                Assert.InRange(rig.Readings.Temperature_dC[t], rig.Chain.Pack.Temperature_dC[t] - 3, rig.Chain.Pack.Temperature_dC[t] + 3);
            }
        }
        // The sequence really mixed good and bad scans.
        Assert.InRange(validScans, 50, 390);
        Assert.True(invalidCells > 0);
        Assert.True(rig.Afe.Statistics.ResetsDetected > 0);
    }
}
