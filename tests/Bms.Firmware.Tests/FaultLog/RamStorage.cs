using System;
using Bms.Hal;

namespace Bms.Firmware.Tests.FaultLog
{
    /// <summary>
    /// RAM stand-in for FRAM/EEPROM. <see cref="CutAfterBytes"/> emulates power loss: once that many bytes have
    /// been written, the write in progress stops (a prefix of it stays written) and every later write does nothing.
    /// <see cref="FailNextWrites"/> makes writes fail without writing (a transient bus error).
    /// </summary>
    public sealed class RamStorage : INonVolatileStorage
    {
        public RamStorage(int size, byte erased = 0xFF)
        {
            Memory = new byte[size];
            Array.Fill(Memory, erased);
        }

        private RamStorage(byte[] memory)
        {
            Memory = memory;
        }

        public byte[] Memory { get; }
        public long CutAfterBytes { get; set; } = long.MaxValue;
        public long BytesWritten { get; private set; }
        public bool PowerLost { get; private set; }
        public int FailNextWrites { get; set; }
        public int Size => Memory.Length;

        /// <summary>The same memory contents, power restored (a reboot).</summary>
        public RamStorage Reboot() => new RamStorage((byte[])Memory.Clone());

        public bool Read(int address, byte[] buffer, int offset, int count)
        {
            if (address < 0 || address + count > Memory.Length) { return false; }
            Array.Copy(Memory, address, buffer, offset, count);
            return true;
        }

        public bool Write(int address, byte[] buffer, int offset, int count)
        {
            if (PowerLost || address < 0 || address + count > Memory.Length) { return false; }
            if (FailNextWrites > 0) { FailNextWrites--; return false; }
            for (int i = 0; i < count; i++)
            {
                if (BytesWritten >= CutAfterBytes)
                {
                    PowerLost = true;
                    return false;
                }
                Memory[address + i] = buffer[offset + i];
                BytesWritten++;
            }
            return true;
        }
    }
}
