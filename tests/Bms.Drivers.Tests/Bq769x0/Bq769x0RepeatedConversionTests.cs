using Bms.Drivers.Bq769x0;
using Bms.Drivers.Tests.CellMonitoring;

namespace Bms.Drivers.Tests.Bq769x0;

/// <summary>
/// The chip converts every 250 ms and the firmware scans every 100 ms, so the driver reuses what it decoded when a
/// scan finds the codes of the scan before. Whatever the scan spacing, every scan's values must equal a decode of
/// the chip's registers as they are in that scan.
/// </summary>
public class Bq769x0RepeatedConversionTests
{
    [Theory]
    [InlineData(Bq769x0Variant.Bq76940, 15, 3, true, 1)]
    [InlineData(Bq769x0Variant.Bq76940, 15, 3, false, 2)]
    [InlineData(Bq769x0Variant.Bq76930, 10, 2, true, 3)]
    [InlineData(Bq769x0Variant.Bq76920, 5, 1, false, 4)]
    public void Every_scan_equals_a_fresh_decode_of_the_registers_at_any_scan_spacing(Bq769x0Variant variant, int cells, int temps, bool crc, int seed)
    {
        var random = new Random(seed);
        var rig = new Bq769x0Rig(variant, cells, temps, crc);
        rig.StartAndSettle();
        int gain = Bq769x0Conversions.GainFromTrim(rig.Chip.Peek(Bq769x0Registers.AdcGain1), rig.Chip.Peek(Bq769x0Registers.AdcGain2));
        int offset = Bq769x0Conversions.OffsetFromTrim(rig.Chip.Peek(Bq769x0Registers.AdcOffset));
        var ntc = rig.Config.Thermistor;
        int repeated = 0;
        int[] previousCodes = new int[cells];
        for (int scan = 0; scan < 300; scan++)
        {
            // The pack moves sometimes between scans; some scans see the same conversion again, some a new one.
            // A small move of one cell or one sensor (a low byte changes, nothing else) is the hard case.
            switch (random.Next(6))
            {
                case 0:
                    for (int i = 0; i < cells; i++) rig.Pack.CellVoltage_mV[i] = random.Next(2500, 4300);
                    for (int k = 0; k < temps; k++) rig.Pack.Temperature_dC[k] = random.Next(-200, 700);
                    break;
                case 1:
                    rig.Pack.CellVoltage_mV[random.Next(cells)] += random.Next(2) == 0 ? 1 : -1;
                    break;
                case 2:
                    rig.Pack.Temperature_dC[random.Next(temps)] += random.Next(2) == 0 ? 2 : -2;
                    break;
            }
            rig.Readings.InvalidateAll();
            Assert.True(rig.MeasureAfter(random.Next(20, 400)), $"scan {scan}");

            bool same = true;
            for (int cell = 0; cell < cells; cell++)
            {
                int raw = rig.RegisterPair(Bq769x0Registers.Vc1Hi + 2 * rig.Driver.GetCellInput(cell)) & 0x3FFF;
                same &= raw == previousCodes[cell];
                previousCodes[cell] = raw;
                Assert.True(rig.Readings.CellValid[cell]);
                Assert.Equal(Bq769x0Conversions.CellVoltage_mV(raw, gain, offset), rig.Readings.CellVoltage_mV[cell]);
            }
            if (same) repeated++;
            CellSummaryAssert.MatchesCells(rig.Readings, cells);
            for (int k = 0; k < temps; k++)
            {
                int raw = rig.RegisterPair(Bq769x0Registers.Ts1Hi + 2 * k) & 0x3FFF;
                bool valid = ntc.TryGetTemperatureFromDivider(Bq769x0Conversions.ThermistorVoltage_uV(raw),
                    rig.Config.RegulatorVoltage_mV * 1000L, rig.Config.ThermistorPullUp_ohm, out int expected_dC);
                Assert.Equal(valid, rig.Readings.TemperatureValid[k]);
                if (valid) Assert.Equal(expected_dC, rig.Readings.Temperature_dC[k]);
            }
        }
        Assert.True(repeated > 50, $"only {repeated} scans saw a repeated conversion");
    }

    [Fact]
    public void A_new_initialisation_decodes_again()
    {
        var rig = new Bq769x0Rig(Bq769x0Variant.Bq76940, 15, 3, crc: true);
        rig.StartAndSettle();
        int before = rig.Readings.CellVoltage_mV[0];
        // Same codes after a re-initialisation (no conversion in between is forced): the values must come from a
        // decode with the trims just read, which here are the same, so they are equal; and a thermistor that goes
        // open after it must read invalid rather than a remembered temperature.
        Assert.True(rig.Driver.Initialize());
        rig.Chip.OpenThermistor(0);
        rig.Readings.InvalidateAll();
        rig.MeasureAfter(600);
        Assert.Equal(before, rig.Readings.CellVoltage_mV[0]);
        Assert.False(rig.Readings.TemperatureValid[0]);
        Assert.True(rig.Readings.TemperatureValid[1]);
    }
}
