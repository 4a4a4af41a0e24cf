using Bms.Drivers.Bq769x0;
using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Bq769x0;
using Bms.Emulators.Common;
using Bms.Hal;
using Bq769x0Monitor = Bms.Drivers.Bq769x0.Bq769x0;

namespace Bms.Drivers.Tests.Bq769x0;

/// <summary>One driver talking to one emulated chip on a virtual clock.</summary>
internal sealed class Bq769x0Rig
{
    public readonly VirtualClock Clock = new(1000);
    public readonly EmulatedPack Pack;
    public readonly Bq769x0Emulator Chip;
    public readonly II2cDevice Bus;
    public readonly Bq769x0Configuration Config;
    public readonly Bq769x0Monitor Driver;
    public readonly CellMonitorReadings Readings;

    public Bq769x0Rig(Bq769x0Variant variant, int cells, int temps, bool crc, int gain = 380, int offset = 30,
        int address = Bq769x0Monitor.DefaultI2cAddress, Func<II2cDevice, II2cDevice>? wrap = null,
        Bq769x0BadCrcResponse badCrc = Bq769x0BadCrcResponse.Nack, Action<Bq769x0Configuration>? configure = null)
    {
        Pack = new EmulatedPack(cells, temps);
        for (int i = 0; i < cells; i++) Pack.CellVoltage_mV[i] = 3500 + 13 * i;
        for (int k = 0; k < temps; k++) Pack.Temperature_dC[k] = 200 + 15 * k;
        Chip = new Bq769x0Emulator(Pack, Clock, new Bq769x0EmulatorOptions
        {
            Variant = variant, Address = address, CrcEnabled = crc, Gain_uV = gain, Offset_mV = offset,
            ShuntResistance_uOhm = 1000, BadCrcResponse = badCrc,
        });
        Bus = wrap?.Invoke(Chip) ?? Chip;
        Config = new Bq769x0Configuration
        {
            Variant = variant, CellCount = cells, ThermistorCount = temps, CrcEnabled = crc, ShuntResistance_uOhm = 1000,
        };
        configure?.Invoke(Config);
        Driver = new Bq769x0Monitor(Bus, Clock, Config);
        Readings = new CellMonitorReadings(cells, temps);
    }

    /// <summary>Configures the chip and waits for its first conversion, then checks a scan is complete.</summary>
    public void StartAndSettle()
    {
        Assert.True(Driver.Initialize(), "initialize");
        Clock.Advance_us(300_000);
        Assert.True(Driver.Measure(Readings), $"first scan, faults 0x{Readings.Faults:X}");
    }

    public bool MeasureAfter(int ms)
    {
        Clock.Advance_us(ms * 1000L);
        return Driver.Measure(Readings);
    }

    public int RegisterPair(int register) => (Chip.Peek(register) << 8) | Chip.Peek(register + 1);
}

/// <summary>A bus in front of the chip that breaks chosen transfers, to show retries and read-back checks.</summary>
internal sealed class MeddlingBus(II2cDevice inner) : II2cDevice
{
    /// <summary>How many of the next transfers fail with <see cref="FailWith"/>.</summary>
    public int FailNext;
    public BusStatus FailWith = BusStatus.AddressNack;
    /// <summary>Flip the CRC of every outgoing write (the chip must refuse it).</summary>
    public bool CorruptWriteCrc;
    /// <summary>Register reads starting at this address fail with <see cref="FailWith"/> (−1 = none).</summary>
    public int FailReadsOf = -1;

    public int Address => inner.Address;

    public BusStatus Write(byte[] buffer, int offset, int count)
    {
        if (FailNext > 0) { FailNext--; return FailWith; }
        if (CorruptWriteCrc && count >= 3)
        {
            var copy = new byte[count];
            Array.Copy(buffer, offset, copy, 0, count);
            copy[2] ^= 0x01;
            return inner.Write(copy, 0, count);
        }
        return inner.Write(buffer, offset, count);
    }

    public BusStatus Read(byte[] buffer, int offset, int count)
    {
        if (FailNext > 0) { FailNext--; return FailWith; }
        return inner.Read(buffer, offset, count);
    }

    public BusStatus WriteRead(byte[] writeBuffer, int writeOffset, int writeCount, byte[] readBuffer, int readOffset, int readCount)
    {
        if (FailNext > 0) { FailNext--; return FailWith; }
        if (writeCount == 1 && writeBuffer[writeOffset] == FailReadsOf) return FailWith;
        return inner.WriteRead(writeBuffer, writeOffset, writeCount, readBuffer, readOffset, readCount);
    }
}

/// <summary>Records every byte the driver writes, to compare with the protocol vectors.</summary>
internal sealed class RecordingBus(II2cDevice inner) : II2cDevice
{
    public readonly List<byte[]> Writes = new();
    public int Address => inner.Address;

    public BusStatus Write(byte[] buffer, int offset, int count)
    {
        Writes.Add(buffer.AsSpan(offset, count).ToArray());
        return inner.Write(buffer, offset, count);
    }

    public BusStatus Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public BusStatus WriteRead(byte[] writeBuffer, int writeOffset, int writeCount, byte[] readBuffer, int readOffset, int readCount) =>
        inner.WriteRead(writeBuffer, writeOffset, writeCount, readBuffer, readOffset, readCount);
}
