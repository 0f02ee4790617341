package org.pal.core.archive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.pal.core.PalException;

/**
 * Reading the files a user names (configs, comparison lists, manifests): a missing file, a folder,
 * a device or a binary file is a user-input error naming the file, never an I/O exception; sizes
 * are checked before anything is allocated.
 */
public final class InputFiles {
  private InputFiles() {}

  /** Fails unless {@code file} is a regular file (not a folder, device or pipe); returns its size. */
  public static long requireFile(Path file) {
    if (Files.isDirectory(file)) throw PalException.badInput("file", file, "is a directory; give a file");
    if (!Files.exists(file)) throw PalException.badInput("file", file, "does not exist; check the path");
    if (!Files.isRegularFile(file)) throw PalException.badInput("file", file, "is not a regular file");
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw PalException.environment("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The whole file, at most {@code maxBytes} long. */
  public static byte[] readBytes(Path file, long maxBytes) {
    long size = requireFile(file);
    if (size > maxBytes) throw PalException.badInput("file", file, "is " + size + " bytes; at most " + maxBytes + " are expected here");
    try {
      byte[] b = Files.readAllBytes(file);
      if (b.length > maxBytes) throw PalException.badInput("file", file, "grew past " + maxBytes + " bytes while being read");
      return b;
    } catch (NoSuchFileException e) {
      throw PalException.badInput("file", file, "does not exist; check the path");
    } catch (AccessDeniedException e) {
      throw PalException.badInput("file", file, "cannot be read (permission denied)");
    } catch (IOException e) {
      throw PalException.environment("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The file as UTF-8 text; anything else (a binary file) is a user-input error. */
  public static String readText(Path file) {
    return decode(readBytes(file, Integer.MAX_VALUE - 16), file);
  }

  public static List<String> readLines(Path file) {
    return readText(file).lines().toList();
  }

  static String decode(byte[] bytes, Path file) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw PalException.badInput("file", file, "is not UTF-8 text (a binary file?)");
    }
  }
}
