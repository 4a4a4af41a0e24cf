namespace Bms.Hal
{
    /// <summary>
    /// One device on an I2C bus, addressed by its 7-bit address. Buffers are caller-owned and reused,
    /// so a transfer allocates nothing. Each call is one bus transaction (START ... STOP); WriteRead uses a
    /// repeated START between the two phases, as register reads of the BQ769x0 and BQ76952 require.
    /// </summary>
    public interface II2cDevice
    {
        /// <summary>7-bit device address (used by drivers that fold it into a CRC).</summary>
        int Address { get; }

        /// <summary>Writes <paramref name="count"/> bytes starting at <paramref name="offset"/>.</summary>
        BusStatus Write(byte[] buffer, int offset, int count);

        /// <summary>Reads <paramref name="count"/> bytes into <paramref name="buffer"/> at <paramref name="offset"/>.</summary>
        BusStatus Read(byte[] buffer, int offset, int count);

        /// <summary>Writes, then reads after a repeated START, in one transaction.</summary>
        BusStatus WriteRead(byte[] writeBuffer, int writeOffset, int writeCount, byte[] readBuffer, int readOffset, int readCount);
    }
}
