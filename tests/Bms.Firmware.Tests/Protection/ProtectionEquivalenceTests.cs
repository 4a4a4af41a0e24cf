using Bms.Firmware.Events;
using Bms.Firmware.Measurement;
using Bms.Firmware.Protection;
using Bms.Firmware.Tests.Safety;

namespace Bms.Firmware.Tests.Protection;

/// <summary>
/// The protection manager skips quantities inside their quiet bands and the loss check before its deadline.
/// These tests drive it and the straightforward reference (every level of every quantity evaluated on every
/// step) with the same random snapshots — values wandering across every threshold and clear threshold, held
/// long enough for set and clear delays to expire, with invalid cells, sensors and current, some longer than
/// the measurement timeout — and require the same events at the same times, and the same state at every step.
/// </summary>
public class ProtectionEquivalenceTests
{
    private const int Cells = 6;
    private const int Temps = 3;

    private sealed class Drive
    {
        private readonly Random _random;
        private readonly ProtectionConfiguration _config;
        private int _cellTarget;
        private int _cellHold;
        private int _tempTarget;
        private int _tempHold;
        private int _currentTarget;
        // Per hold: noise amplitude (0 = the value sits exactly on its target, e.g. one above a threshold).
        private int _currentNoise;
        private int _cellNoise;
        private int _imbalance;
        private int _tempNoise;
        private int _currentHold;
        private int _outageLeft;
        private int _currentOutageLeft;

        private readonly bool _viaCopyCells;
        private readonly int[] _voltage = new int[Cells];
        private readonly bool[] _valid = new bool[Cells];
        private readonly bool[] _openWires = new bool[Cells + 1];

        public Drive(int seed, ProtectionConfiguration config, bool viaCopyCells)
        {
            _viaCopyCells = viaCopyCells;
            _random = new Random(seed);
            _config = config;
        }

        // A value near one of the quantity's (clear) thresholds, or a nominal one.
        private int Near(ProtectedQuantity q, int nominal, int spread)
        {
            QuantityThresholds t = _config.GetQuantity(q);
            int pick = _random.Next(8);
            if (pick >= 6) return nominal;
            LevelThreshold level = t.GetLevel(pick % 3);
            int edge = pick < 3 ? level.Threshold : level.ClearThreshold;
            // Often exactly on or next to the edge, where an off-by-one in a band would show.
            if (_random.Next(2) == 0) spread = 1;
            return edge + _random.Next(-spread, spread + 1);
        }

        public void Fill(MeasurementSnapshot s, bool cellStep)
        {
            if (_currentHold-- <= 0)
            {
                _currentHold = _random.Next(1, 400);
                int pick = _random.Next(6);
                _currentTarget = pick switch
                {
                    0 => Near(ProtectedQuantity.OverCurrentCharge, 1000, 200),
                    1 => -Near(ProtectedQuantity.OverCurrentDischarge, 1000, 200),
                    2 => -(_config.ShortCircuit_mA + (_random.Next(2) == 0 ? _random.Next(-1, 2) : _random.Next(-100, 100))),
                    _ => _random.Next(-3000, 3000),
                };
                if (_random.Next(30) == 0) _currentOutageLeft = _random.Next(1, 200);
                _currentNoise = _random.Next(2) == 0 ? 0 : 20;
            }
            s.Current_mA = _currentTarget + _random.Next(-_currentNoise, _currentNoise + 1);
            s.CurrentValid = _currentOutageLeft-- <= 0 && _random.Next(50) != 0;
            if (!cellStep) return;

            if (_cellHold-- <= 0)
            {
                _cellHold = _random.Next(1, 80);
                int pick = _random.Next(3);
                _cellTarget = pick == 0 ? Near(ProtectedQuantity.CellOverVoltage, 3700, 30)
                    : pick == 1 ? Near(ProtectedQuantity.CellUnderVoltage, 3700, 30) : 3700;
                if (_random.Next(15) == 0) _outageLeft = _random.Next(1, 25);
                _cellNoise = _random.Next(2);
                _imbalance = _random.Next(4) == 0 ? Near(ProtectedQuantity.CellImbalance, 10, 10) : 5;
            }
            bool outage = _outageLeft-- > 0;
            for (int i = 0; i < Cells; i++)
            {
                _voltage[i] = _cellTarget + (i == 2 ? _imbalance : _random.Next(-_cellNoise, _cellNoise + 1));
                _valid[i] = !(outage && i == 4) && _random.Next(40) != 0;
            }
            if (_viaCopyCells)
            {
                // As the acquisition does it: copied with the summary, sometimes with an open sense wire.
                bool openWire = _random.Next(20) == 0;
                Array.Clear(_openWires);
                if (openWire) _openWires[_random.Next(Cells + 1)] = true;
                s.CopyCells(_voltage, _valid, openWire ? _openWires : null);
            }
            else
            {
                Array.Copy(_voltage, s.CellVoltage_mV, Cells);
                Array.Copy(_valid, s.CellValid, Cells);
            }
            if (_tempHold-- <= 0)
            {
                _tempHold = _random.Next(1, 80);
                ProtectedQuantity q = (ProtectedQuantity)(4 + _random.Next(4));
                _tempTarget = _random.Next(4) == 0 ? 250 : Near(q, 250, 15);
                _tempNoise = _random.Next(2);
            }
            for (int i = 0; i < Temps; i++)
            {
                s.Temperature_dC[i] = _tempTarget + _random.Next(-_tempNoise, _tempNoise + 1) - (_tempNoise == 0 ? 0 : i);
                s.TemperatureValid[i] = !(outage && _random.Next(2) == 0) && _random.Next(30) != 0;
            }
        }
    }

    public static IEnumerable<object[]> Seeds()
    {
        for (int seed = 1; seed <= 12; seed++)
        {
            yield return new object[] { seed, false };
            yield return new object[] { seed, true };
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Matches_the_reference_event_for_event_over_random_excursions(int seed, bool viaCopyCells)
    {
        var envelope = Bms.Firmware.Chemistry.ChemistryProfiles.FromName("nmc-graphite").Envelope;
        ProtectionConfiguration config = ProtectionConfiguration.FromEnvelope(envelope, 3000);
        var fast = new RecordingSink();
        var reference = new RecordingSink();
        var manager = new ProtectionManager(config, Cells, Temps, fast);
        var model = new ReferenceProtectionManager(config, Cells, Temps, reference);
        var snapshot = new MeasurementSnapshot(Cells, Temps);
        var drive = new Drive(seed, config, viaCopyCells);
        manager.Start(0);
        model.Start(0);
        drive.Fill(snapshot, true);
        for (long now = 10; now <= 600_000; now += 10)
        {
            bool cellStep = now % 100 == 0;
            drive.Fill(snapshot, cellStep);
            manager.UpdateCurrent(snapshot, now);
            model.UpdateCurrent(snapshot, now);
            if (cellStep)
            {
                manager.UpdateCells(snapshot, now);
                model.UpdateCells(snapshot, now);
            }
            Assert.True(fast.Events.Count == reference.Events.Count, $"seed {seed}: event count differs at {now} ms");
            Assert.Equal(model.CommunicationLost, manager.CommunicationLost);
            Assert.Equal(model.ShortCircuitActive, manager.ShortCircuitActive);
            Assert.Equal(model.HighestActiveLevel, manager.HighestActiveLevel);
        }
        Assert.Equal(reference.Events, fast.Events);
        // The drive must have exercised what it is meant to: trips and clears of every kind of quantity.
        foreach (BmsEventCode code in new[]
        {
            BmsEventCode.CellOverVoltage, BmsEventCode.CellUnderVoltage, BmsEventCode.OverCurrentCharge,
            BmsEventCode.OverCurrentDischarge, BmsEventCode.AfeCommunication,
        })
        {
            Assert.Contains(fast.Events, e => e.Code == code && e.Active);
            Assert.Contains(fast.Events, e => e.Code == code && !e.Active);
        }
        Assert.Contains(fast.Events, e => e.Code >= BmsEventCode.OverTemperatureCharge && e.Code <= BmsEventCode.UnderTemperatureDischarge && e.Active);
    }

    [Fact]
    public void Reports_the_extremes_of_the_valid_values_of_the_last_scan()
    {
        var envelope = Bms.Firmware.Chemistry.ChemistryProfiles.FromName("nmc-graphite").Envelope;
        var manager = new ProtectionManager(ProtectionConfiguration.FromEnvelope(envelope, 3000), Cells, Temps, new RecordingSink());
        var snapshot = new MeasurementSnapshot(Cells, Temps);
        var random = new Random(11);
        manager.Start(0);
        for (int k = 1; k <= 500; k++)
        {
            for (int i = 0; i < Cells; i++)
            {
                snapshot.CellVoltage_mV[i] = random.Next(2500, 4300);
                snapshot.CellValid[i] = random.Next(4) != 0 && k % 50 != 0;
            }
            for (int i = 0; i < Temps; i++)
            {
                snapshot.Temperature_dC[i] = random.Next(-300, 700);
                snapshot.TemperatureValid[i] = random.Next(3) != 0;
            }
            manager.UpdateCells(snapshot, k * 100L);
            var cells = Enumerable.Range(0, Cells).Where(i => snapshot.CellValid[i]).Select(i => snapshot.CellVoltage_mV[i]).ToList();
            var temps = Enumerable.Range(0, Temps).Where(i => snapshot.TemperatureValid[i]).Select(i => snapshot.Temperature_dC[i]).ToList();
            Assert.Equal(cells.Count == 0 ? int.MinValue : cells.Max(), manager.HighestCell_mV);
            Assert.Equal(cells.Count == 0 ? int.MaxValue : cells.Min(), manager.LowestCell_mV);
            Assert.Equal(temps.Count == 0 ? int.MinValue : temps.Max(), manager.HottestTemperature_dC);
            Assert.Equal(temps.Count == 0 ? int.MaxValue : temps.Min(), manager.ColdestTemperature_dC);
        }
    }

    [Fact]
    public void The_summary_copied_with_the_cells_equals_the_recomputed_one()
    {
        var random = new Random(5);
        var snapshot = new MeasurementSnapshot(Cells, Temps);
        var voltage = new int[Cells];
        var valid = new bool[Cells];
        var openWires = new bool[Cells + 1];
        for (int k = 0; k < 2000; k++)
        {
            for (int i = 0; i < Cells; i++)
            {
                voltage[i] = random.Next(4) == 0 ? 3700 : random.Next(2500, 4300);
                valid[i] = random.Next(5) != 0;
            }
            Array.Clear(openWires);
            bool open = random.Next(4) == 0;
            if (open) openWires[random.Next(Cells + 1)] = true;
            int[] before = (int[])snapshot.CellVoltage_mV.Clone();
            snapshot.CopyCells(voltage, valid, open ? openWires : null);
            var used = Enumerable.Range(0, Cells).Where(i => valid[i] && !(open && (openWires[i] || openWires[i + 1]))).ToList();
            for (int i = 0; i < Cells; i++)
            {
                Assert.Equal(used.Contains(i), snapshot.CellValid[i]);
                Assert.Equal(used.Contains(i) ? voltage[i] : before[i], snapshot.CellVoltage_mV[i]);
            }
            Assert.True(snapshot.CellSummaryKnown);
            Assert.Equal(used.Count, snapshot.ValidCellCount);
            Assert.Equal(used.Sum(i => voltage[i]), snapshot.ValidCellSum_mV);
            int highest = used.Count == 0 ? int.MinValue : used.Max(i => voltage[i]);
            int lowest = used.Count == 0 ? int.MaxValue : used.Min(i => voltage[i]);
            Assert.Equal(highest, snapshot.HighestCell_mV);
            Assert.Equal(lowest, snapshot.LowestCell_mV);
            Assert.Equal(used.Count == 0 ? -1 : used.First(i => voltage[i] == highest), snapshot.HighestCellIndex);
            Assert.Equal(used.Count == 0 ? -1 : used.First(i => voltage[i] == lowest), snapshot.LowestCellIndex);
        }
    }
}
