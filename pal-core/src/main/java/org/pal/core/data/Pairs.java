package org.pal.core.data;

import org.pal.core.PalException;

/**
 * Comparisons as parallel int arrays: user, prompt (-1 when the data has no prompts), left and right
 * item rows, and the label: +1 when the user preferred left, -1 when right.
 */
public final class Pairs {
  public final int[] user;
  public final int[] prompt;
  public final int[] left;
  public final int[] right;
  public final byte[] label;

  public Pairs(int[] user, int[] prompt, int[] left, int[] right, byte[] label) {
    int n = user.length;
    if (prompt.length != n || left.length != n || right.length != n || label.length != n) {
      throw PalException.internal("pair arrays differ in length");
    }
    this.user = user;
    this.prompt = prompt;
    this.left = left;
    this.right = right;
    this.label = label;
  }

  public int size() {
    return user.length;
  }
}
