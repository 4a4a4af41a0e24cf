using Bms.Hal;

namespace Bms.Emulators.Fram;

/// <summary>
/// An MB85RC FRAM seen from the bus: two address bytes, then data; the address auto-increments and wraps at
/// the end of the array as the part does. <see cref="CutAfterBytes"/> simulates power lost mid-write:
/// only that many data bytes of the next write reach the array, then the device stops acknowledging.
/// </summary>
public sealed class Mb85rcEmulator : II2cDevice
{
    private int _pointer;

    public Mb85rcEmulator(int sizeBytes, int address = 0x50)
    {
        Memory = new byte[sizeBytes];
        Address = address;
    }

    public int Address { get; }

    public byte[] Memory { get; }

    /// <summary>Data bytes still allowed before power is "lost"; null = no cut.</summary>
    public int? CutAfterBytes { get; set; }

    public BusStatus Write(byte[] buffer, int offset, int count)
    {
        if (count < 2) return BusStatus.DataNack;
        _pointer = ((buffer[offset] << 8) | buffer[offset + 1]) % Memory.Length;
        for (int i = 2; i < count; i++)
        {
            if (CutAfterBytes is int left)
            {
                if (left <= 0) return BusStatus.AddressNack;
                CutAfterBytes = left - 1;
            }
            Memory[_pointer] = buffer[offset + i];
            _pointer = (_pointer + 1) % Memory.Length;
        }
        return BusStatus.Ok;
    }

    public BusStatus Read(byte[] buffer, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            buffer[offset + i] = Memory[_pointer];
            _pointer = (_pointer + 1) % Memory.Length;
        }
        return BusStatus.Ok;
    }

    public BusStatus WriteRead(byte[] writeBuffer, int writeOffset, int writeCount, byte[] readBuffer, int readOffset, int readCount)
    {
        if (writeCount != 2) return BusStatus.DataNack;
        _pointer = ((writeBuffer[writeOffset] << 8) | writeBuffer[writeOffset + 1]) % Memory.Length;
        return Read(readBuffer, readOffset, readCount);
    }
}
